package io.shardkv.raft.ratis;

import java.util.Objects;
import java.util.stream.Stream;

/**
 * A failure and its causes, outermost first. Ratis and gRPC wrap the exception that says what
 * happened (not leader, group not found, configuration changed) in completion and transport
 * exceptions, so callers that decide by it look down the chain.
 */
public final class Causes {
  /** Deep enough for every wrapping seen here; bounded in case a chain loops. */
  private static final int MAX_DEPTH = 8;

  private Causes() {}

  /** {@code e} and its causes; empty for null. */
  public static Stream<Throwable> of(Throwable e) {
    return Stream.iterate(e, Objects::nonNull, Throwable::getCause).limit(MAX_DEPTH);
  }

  /** Whether {@code e} or one of its causes is a {@code type}. */
  public static boolean include(Throwable e, Class<? extends Throwable> type) {
    return of(e).anyMatch(type::isInstance);
  }
}
