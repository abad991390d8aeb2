package io.shardkv.control.map;

import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.MapCommand;
import io.shardkv.api.internal.v1.MapCommandResult;
import java.io.IOException;

/** Reads and changes the cluster map (the meta group's client; a fake in tests). */
public interface MapAccess {
  /** The map as the meta group's leader has committed it. */
  ClusterMap read() throws IOException;

  /** Commits {@code command}; the result says whether it changed the map, and the map after it. */
  MapCommandResult submit(MapCommand command) throws IOException;
}
