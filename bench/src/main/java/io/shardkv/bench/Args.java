package io.shardkv.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line options of the form {@code --name value} and {@code --flag}. Every option read
 * is remembered, so an unknown (misspelt) option is reported instead of silently ignored.
 */
final class Args {
  private final Map<String, String> values = new HashMap<>();
  private final Set<String> used = new HashSet<>();

  Args(List<String> argv, Set<String> flags) {
    for (int i = 0; i < argv.size(); i++) {
      String a = argv.get(i);
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("expected --option, got '" + a + "'");
      }
      String name = a.substring(2);
      int eq = name.indexOf('=');
      if (eq >= 0) {
        values.put(name.substring(0, eq), name.substring(eq + 1));
      } else if (flags.contains(name)) {
        values.put(name, "true");
      } else if (i + 1 < argv.size()) {
        values.put(name, argv.get(++i));
      } else {
        throw new IllegalArgumentException("--" + name + " needs a value");
      }
    }
  }

  String string(String name, String fallback) {
    used.add(name);
    return values.getOrDefault(name, fallback);
  }

  boolean has(String name) {
    used.add(name);
    return values.containsKey(name);
  }

  boolean flag(String name) {
    return Boolean.parseBoolean(string(name, "false"));
  }

  int integer(String name, int fallback) {
    return Integer.parseInt(string(name, Integer.toString(fallback)));
  }

  long longValue(String name, long fallback) {
    return Long.parseLong(string(name, Long.toString(fallback)));
  }

  List<String> list(String name, String fallback) {
    List<String> out = new ArrayList<>();
    for (String s : string(name, fallback).split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }

  Duration duration(String name, String fallback) {
    return parseDuration(string(name, fallback));
  }

  static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    if (t.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
    }
    long n = Long.parseLong(t.substring(0, t.length() - 1));
    return switch (t.charAt(t.length() - 1)) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      default -> throw new IllegalArgumentException("duration like 500ms, 10s or 2m: " + text);
    };
  }

  /** Fails on any option given but never read. */
  void rejectUnknown() {
    Set<String> unknown = new HashSet<>(values.keySet());
    unknown.removeAll(used);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("unknown option(s): --" + String.join(", --", unknown));
    }
  }
}
