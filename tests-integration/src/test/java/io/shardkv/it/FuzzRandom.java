package io.shardkv.it;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The random choices ApiFuzzIT's generators are made of, from one seed: a weighted choice, one
 * of given values, integers in a range, any int or long, lists and strings. The same seed gives
 * the same sequence of values, whatever the values are used for.
 *
 * <p>Ranges and the any-value draws favour their edge cases: one draw in {@value #EDGE_ODDS}
 * is one of the edges (a range's two lowest and two highest values and 0 if inside it; 0, 1, -1
 * and the extremes of int or long), the others are uniform.
 */
final class FuzzRandom {
  /** One draw in this many of a range or an any-value is an edge case. */
  static final int EDGE_ODDS = 10;

  private final SplittableRandom random;

  FuzzRandom(long seed) {
    random = new SplittableRandom(seed);
  }

  /** One choice of {@link #weighted}: drawn with probability weight / (the sum of the weights). */
  record Option<T>(int weight, Supplier<? extends T> value) {
    Option {
      if (weight <= 0) {
        throw new IllegalArgumentException("weight " + weight + " must be positive");
      }
    }
  }

  static <T> Option<T> w(int weight, Supplier<? extends T> value) {
    return new Option<>(weight, value);
  }

  /** Picks an option by weight, then draws its value (so an option not picked draws nothing). */
  @SafeVarargs
  final <T> T weighted(Option<? extends T>... options) {
    int total = 0;
    for (Option<? extends T> o : options) {
      total += o.weight();
    }
    int pick = random.nextInt(total);
    for (Option<? extends T> o : options) {
      pick -= o.weight();
      if (pick < 0) {
        return o.value().get();
      }
    }
    throw new AssertionError("unreachable: the weights sum to " + total);
  }

  /** One of {@code values}, each equally likely (a value given twice is twice as likely). */
  @SafeVarargs
  final <T> T oneOf(T... values) {
    return values[random.nextInt(values.length)];
  }

  <T> T oneOf(List<T> values) {
    return values.get(random.nextInt(values.size()));
  }

  /**
   * An int in [lo, hi], inclusive; one draw in {@value #EDGE_ODDS} is lo, lo + 1, hi - 1, hi or 0
   * (each kept within the range).
   */
  int between(int lo, int hi) {
    if (lo > hi) {
      throw new IllegalArgumentException("[" + lo + ", " + hi + "] is empty");
    }
    if (random.nextInt(EDGE_ODDS) == 0) {
      long edge = switch (random.nextInt(5)) {
        case 0 -> lo;
        case 1 -> (long) lo + 1;
        case 2 -> (long) hi - 1;
        case 3 -> hi;
        default -> 0;
      };
      return (int) Math.max(lo, Math.min(hi, edge));
    }
    return (int) (lo + random.nextLong((long) hi - lo + 1));
  }

  /** Any int; one draw in {@value #EDGE_ODDS} is 0, 1, -1, Integer.MIN_VALUE or Integer.MAX_VALUE. */
  int anyInt() {
    if (random.nextInt(EDGE_ODDS) == 0) {
      return oneOf(0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }
    return random.nextInt();
  }

  /** Any long; one draw in {@value #EDGE_ODDS} is 0, 1, -1, Long.MIN_VALUE or Long.MAX_VALUE. */
  long anyLong() {
    if (random.nextInt(EDGE_ODDS) == 0) {
      return oneOf(0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE);
    }
    return random.nextLong();
  }

  /** {@link #between}(min, max) elements, each drawn by {@code element}. */
  <T> List<T> list(int min, int max, Supplier<? extends T> element) {
    int size = between(min, max);
    List<T> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(element.get());
    }
    return out;
  }

  /**
   * Up to {@code maxLength} chars (a supplementary character counts two): mostly printable
   * ASCII, then other characters of the Basic Multilingual Plane, control characters,
   * supplementary characters and unpaired surrogates.
   */
  String string(int maxLength) {
    int length = between(0, maxLength);
    StringBuilder b = new StringBuilder(length);
    while (b.length() < length) {
      int c = weighted(
          w(10, () -> between(0x20, 0x7E)),
          w(2, () -> oneOf(between(0x00, 0x1F), 0x7F, between(0x80, 0x9F))),
          w(4, () -> {
            int bmp = between(0xA0, 0xFFFF);
            return Character.isSurrogate((char) bmp) ? bmp - 0x800 : bmp;
          }),
          w(1, () -> between(Character.MIN_SUPPLEMENTARY_CODE_POINT, Character.MAX_CODE_POINT)),
          w(1, () -> between(Character.MIN_SURROGATE, Character.MAX_SURROGATE)));
      if (Character.charCount(c) <= length - b.length()) {
        b.appendCodePoint(c);
      }
    }
    return b.toString();
  }
}
