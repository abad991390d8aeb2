package io.shardkv.control.map;

import io.shardkv.api.internal.v1.ClusterMap;
import io.shardkv.api.internal.v1.MapCommand;
import io.shardkv.api.internal.v1.MapCommandResult;
import java.io.IOException;

/** The meta group's client, every map it returns also offered to this node's cached view. */
public final class CachingMapAccess implements MapAccess {
  private final ClusterMapClient client;
  private final ClusterMapView view;

  public CachingMapAccess(ClusterMapClient client, ClusterMapView view) {
    this.client = client;
    this.view = view;
  }

  @Override
  public ClusterMap read() throws IOException {
    ClusterMap map = client.read();
    view.offer(map);
    return map;
  }

  @Override
  public MapCommandResult submit(MapCommand command) throws IOException {
    MapCommandResult result = client.submit(command);
    view.offer(result.getMap());
    return result;
  }
}
