package io.shardkv.it;

import static io.shardkv.it.FuzzRandom.w;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.shardkv.it.FuzzRequests.Call;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * ApiFuzzIT's generator without a cluster: a seed replays the same calls, every kind of request
 * and encoding is drawn at about its weight, and the listed edge cases come up.
 */
class FuzzRequestsTest {
  private static final int CALLS = 20_000;

  private static List<Call> draw(long seed, int n) {
    FuzzRandom r = new FuzzRandom(seed);
    List<Call> calls = new ArrayList<>();
    while (calls.size() < n) {
      calls.addAll(FuzzRequests.calls(r));
    }
    return calls.subList(0, n);
  }

  private static List<String> printed(List<Call> calls) {
    return calls.stream().map(Call::toString).toList();
  }

  @Test
  void aSeedDrawsTheSameCallsEveryTime() {
    assertThat(printed(draw(8, 3000))).isEqualTo(printed(draw(8, 3000)));
    assertThat(printed(draw(8, 200))).isNotEqualTo(printed(draw(9, 200)));
  }

  @Test
  void everyRequestEncodingAndCredentialComesUpAtItsWeight() {
    List<Call> calls = draw(1, CALLS);
    assertShares(calls, c -> c.req().getClass().getSimpleName(), Map.ofEntries(Map.entry("Put", 20),
        Map.entry("Get", 12), Map.entry("Delete", 8), Map.entry("Batch", 8), Map.entry("ManyMutations", 2),
        Map.entry("Scan", 9), Map.entry("DeletePrefix", 2), Map.entry("Cas", 10), Map.entry("ClusterStatus", 2),
        Map.entry("TakeSnapshot", 2), Map.entry("TransferLeader", 2), Map.entry("AddReplica", 3),
        Map.entry("RemoveReplica", 3), Map.entry("Unknown", 1)));
    assertShares(calls, c -> c.body().getClass().getSimpleName(), Map.of("Exact", 85, "Garbage", 3,
        "Truncated", 2, "Flipped", 2, "Appended", 5, "DeepGroups", 1, "Padded", 1));
    assertShares(calls, c -> c.auth().name(), Map.of("VALID", 6, "LOWERCASE_SCHEME", 1, "NONE", 2,
        "WRONG_TOKEN", 1, "NOT_BEARER", 1));
    assertShares(calls, c -> "n" + c.node(), Map.of("n0", 1, "n1", 1, "n2", 1));
  }

  /** Each value's share of {@code calls} is its weight's share, within a fifth of it (or 0.5 % for small ones). */
  private static void assertShares(List<Call> calls, Function<Call, String> kind, Map<String, Integer> weights) {
    Map<String, Integer> seen = new HashMap<>();
    calls.forEach(c -> seen.merge(kind.apply(c), 1, Integer::sum));
    assertThat(seen.keySet()).isEqualTo(weights.keySet());
    double total = weights.values().stream().mapToInt(Integer::intValue).sum();
    weights.forEach((k, weight) -> {
      double want = weight / total;
      assertThat(seen.get(k) / (double) calls.size()).as(k).isCloseTo(want, within(Math.max(want / 5, 0.005)));
    });
  }

  @Test
  void theListedEdgeCasesComeUp() {
    Set<String> printed = new HashSet<>(printed(draw(2, CALLS)));
    String all = String.join("\n", printed);
    // Keys of 0, 511, 512 and 513 bytes; values at max-value-bytes and one over.
    Stream.of(0, 511, 512, 513, FuzzRequests.MAX_VALUE, FuzzRequests.MAX_VALUE + 1)
        .forEach(n -> assertThat(all).contains("Rnd(" + n + "B,"));
    Stream.of("Padded[delta=-1]", "Padded[delta=100]", "DeepGroups[depth=101]", "limit=-2147483648",
        "limit=2147483647", "limit=10001", "shard=-2147483648", "shard=1024", "count=60000",
        "nodeId=\"nnnnnnnnnnnnnnnnnnnnnnnn...(5000 chars)\"", "nodeId=\"n3\\u0000\"", "nodeId=\"\"",
        "wireType=7", "field=536870911", "MUnset[]", "After[base=Hot#", "Head[base=Hot#", "expectCurrent=true",
        "Unknown[method=shardkv.v2.KV/Put]")
        .forEach(edge -> assertThat(all).as("an edge case").contains(edge));
  }

  @Test
  void weightedChoicesRangesAndStrings() {
    FuzzRandom r = new FuzzRandom(3);
    int ones = 0;
    Set<Integer> ints = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      ones += r.<Integer>weighted(w(1, () -> 1), w(3, () -> 0));
      int v = r.between(-2, 1000);
      assertThat(v).isBetween(-2, 1000);
      ints.add(v);
      assertThat(r.string(16).length()).isBetween(0, 16);
    }
    assertThat(ones).isBetween(2300, 2700);
    assertThat(ints).contains(-2, -1, 0, 999, 1000);
    assertThat(new FuzzRandom(4).between(7, 7)).isEqualTo(7);
    FuzzRandom wide = new FuzzRandom(5);
    Set<Integer> ends = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      ends.add(wide.between(Integer.MIN_VALUE, Integer.MAX_VALUE));
    }
    assertThat(ends).contains(Integer.MIN_VALUE, Integer.MAX_VALUE, 0);
  }
}
