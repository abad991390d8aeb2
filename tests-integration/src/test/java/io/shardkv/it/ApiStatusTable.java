package io.shardkv.it;

import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.shardkv.api.v1.AdminGrpc;
import io.shardkv.api.v1.KVGrpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The status table of docs/api.md, read as data: for every method of {@code shardkv.v1.KV} and
 * {@code shardkv.v1.Admin}, the codes it may answer with besides OK. Refuses a page that names a
 * method the services do not have, a code gRPC does not have, or leaves a method out, so the
 * page cannot drift from the services unnoticed.
 */
final class ApiStatusTable {
  /** The first column's words for "every method of both services" and "a method not served". */
  static final String EVERY_METHOD = "every method";
  static final String ANY_OTHER_METHOD = "any other method";

  private static final Pattern ROW = Pattern.compile("(?m)^\\|([^|\\n]*)\\|\\s*`([A-Z_]+)`\\s*\\|[^\\n]*\\|\\s*$");
  private static final Pattern METHOD = Pattern.compile("`(shardkv\\.v1\\.[A-Za-z]+/[A-Za-z]+)`");

  private final Map<String, Set<Status.Code>> byMethod;
  private final Set<Status.Code> otherMethods;

  private ApiStatusTable(Map<String, Set<Status.Code>> byMethod, Set<Status.Code> otherMethods) {
    this.byMethod = byMethod;
    this.otherMethods = otherMethods;
  }

  /** Every method of both services, in proto order. */
  static List<String> methods() {
    List<String> names = new ArrayList<>();
    for (ServiceDescriptor s : List.of(KVGrpc.getServiceDescriptor(), AdminGrpc.getServiceDescriptor())) {
      s.getMethods().stream().map(MethodDescriptor::getFullMethodName).forEach(names::add);
    }
    return names;
  }

  static ApiStatusTable read(Path page) throws IOException {
    return parse(Files.readString(page));
  }

  /** The rows of the table under "## Status codes" (up to the next heading). */
  static ApiStatusTable parse(String markdown) {
    int start = markdown.indexOf("\n## Status codes");
    if (start < 0) {
      throw new IllegalArgumentException("docs/api.md has no '## Status codes' section");
    }
    int end = markdown.indexOf("\n## ", start + 1);
    String section = markdown.substring(start, end < 0 ? markdown.length() : end);
    List<String> methods = methods();
    Map<String, Set<Status.Code>> byMethod = new LinkedHashMap<>();
    methods.forEach(m -> byMethod.put(m, EnumSet.of(Status.Code.OK)));
    Set<Status.Code> other = EnumSet.noneOf(Status.Code.class);
    Set<String> mentioned = new java.util.HashSet<>();
    Matcher row = ROW.matcher(section);
    int rows = 0;
    while (row.find()) {
      rows++;
      String who = row.group(1).strip();
      Status.Code code;
      try {
        code = Status.Code.valueOf(row.group(2));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("docs/api.md: '" + row.group(2) + "' is not a gRPC status code", e);
      }
      if (who.equals(EVERY_METHOD)) {
        methods.forEach(m -> byMethod.get(m).add(code));
        mentioned.addAll(methods);
        continue;
      }
      if (who.equals(ANY_OTHER_METHOD)) {
        other.add(code);
        continue;
      }
      Matcher m = METHOD.matcher(who);
      boolean any = false;
      while (m.find()) {
        any = true;
        if (!byMethod.containsKey(m.group(1))) {
          throw new IllegalArgumentException("docs/api.md names " + m.group(1) + ", which neither service has");
        }
        byMethod.get(m.group(1)).add(code);
        mentioned.add(m.group(1));
      }
      if (!any) {
        throw new IllegalArgumentException("docs/api.md: a row names no method: '" + who + "'");
      }
    }
    if (rows == 0) {
      throw new IllegalArgumentException("docs/api.md: no rows in the status table");
    }
    List<String> missing = methods.stream().filter(m -> !mentioned.contains(m)).toList();
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("docs/api.md's status table does not mention " + missing);
    }
    return new ApiStatusTable(byMethod, other);
  }

  /** The codes {@code fullMethodName} may answer with, OK included; for an unserved name, the "any other method" row. */
  Set<Status.Code> codes(String fullMethodName) {
    Set<Status.Code> codes = byMethod.get(fullMethodName);
    return codes != null ? codes : otherMethods;
  }

  boolean serves(String fullMethodName) {
    return byMethod.containsKey(fullMethodName);
  }

  @Override
  public String toString() {
    return byMethod + ", other methods " + otherMethods;
  }
}
