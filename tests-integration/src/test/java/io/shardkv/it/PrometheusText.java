package io.shardkv.it;

import java.util.HashMap;
import java.util.Map;

/** Reads samples out of Prometheus text exposition, enough for tests to check values. */
final class PrometheusText {
  private PrometheusText() {}

  /** One sample line: family/sample name, its labels and value. */
  record Sample(String name, Map<String, String> labels, double value) {}

  static Sample parseLine(String line) {
    int brace = line.indexOf('{');
    int space = line.lastIndexOf(' ');
    String name;
    Map<String, String> labels = new HashMap<>();
    if (brace >= 0 && brace < space) {
      name = line.substring(0, brace);
      String inner = line.substring(brace + 1, line.lastIndexOf('}'));
      for (String pair : inner.split(",")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          labels.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim().replace("\"", ""));
        }
      }
    } else {
      name = line.substring(0, space);
    }
    return new Sample(name, labels, Double.parseDouble(line.substring(space + 1).trim()));
  }

  static double sum(String text, String name, String... labelPairs) {
    double sum = 0;
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#") || !line.startsWith(name)) {
        continue;
      }
      Sample s = parseLine(line);
      if (!s.name().equals(name)) {
        continue;
      }
      boolean matches = true;
      for (int k = 0; k < labelPairs.length; k += 2) {
        matches &= labelPairs[k + 1].equals(s.labels().get(labelPairs[k]));
      }
      if (matches) {
        sum += s.value();
      }
    }
    return sum;
  }

  /** Whether the text has at least one sample named {@code name}. */
  static boolean has(String text, String name) {
    for (String line : text.split("\n")) {
      if (!line.startsWith("#") && line.startsWith(name) && !line.isBlank() && parseLine(line).name().equals(name)) {
        return true;
      }
    }
    return false;
  }
}
