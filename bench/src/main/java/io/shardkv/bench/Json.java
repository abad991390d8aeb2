package io.shardkv.bench;

import java.util.List;

/** The little JSON writing the results need; no library for three functions. */
final class Json {
  private Json() {}

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /** A JSON array of already-encoded objects, one per line. */
  static String array(List<String> objects) {
    return "[\n  " + String.join(",\n  ", objects) + "\n]\n";
  }
}
