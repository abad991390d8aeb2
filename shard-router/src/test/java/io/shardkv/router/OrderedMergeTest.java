package io.shardkv.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.store.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class OrderedMergeTest {

  @Test
  void mergesSortedListsAndKeepsFirstLimit() {
    var result = OrderedMerge.merge(List.of(List.of(1, 4, 7), List.of(2, 5), List.of(), List.of(3)),
        Comparator.<Integer>naturalOrder(), 4);
    assertThat(result.items()).containsExactly(1, 2, 3, 4);
    assertThat(result.leftover()).isTrue();
  }

  @Test
  void noLeftoverWhenEverythingFits() {
    var exact = OrderedMerge.merge(List.of(List.of(1, 3), List.of(2)), Comparator.<Integer>naturalOrder(), 3);
    assertThat(exact.items()).containsExactly(1, 2, 3);
    assertThat(exact.leftover()).isFalse();
    var none = OrderedMerge.merge(List.<List<Integer>>of(), Comparator.<Integer>naturalOrder(), 5);
    assertThat(none.items()).isEmpty();
    assertThat(none.leftover()).isFalse();
    var zero = OrderedMerge.merge(List.of(List.of(1)), Comparator.<Integer>naturalOrder(), 0);
    assertThat(zero.items()).isEmpty();
    assertThat(zero.leftover()).isTrue();
  }

  @Test
  void randomized_matchesTreeSetUnderUnsignedByteOrder() {
    Random random = new Random(42);
    for (int trial = 0; trial < 300; trial++) {
      int lists = 1 + random.nextInt(6);
      TreeSet<byte[]> all = new TreeSet<>(ByteOrder.UNSIGNED);
      List<TreeSet<byte[]>> parts = new ArrayList<>();
      for (int i = 0; i < lists; i++) {
        parts.add(new TreeSet<>(ByteOrder.UNSIGNED));
      }
      int n = random.nextInt(60);
      for (int i = 0; i < n; i++) {
        byte[] key = RandomKeys.key(random);
        if (all.add(key)) { // unique across lists, as keys are across shards
          parts.get(random.nextInt(lists)).add(key);
        }
      }
      int limit = random.nextInt(n + 5);
      List<List<byte[]>> input = new ArrayList<>();
      parts.forEach(p -> input.add(new ArrayList<>(p)));

      var result = OrderedMerge.merge(input, ByteOrder.UNSIGNED, limit);

      List<byte[]> expected = all.stream().limit(limit).toList();
      assertThat(result.items()).as("trial %d", trial).containsExactlyElementsOf(expected);
      assertThat(result.leftover()).as("trial %d", trial).isEqualTo(all.size() > limit);
    }
  }
}
