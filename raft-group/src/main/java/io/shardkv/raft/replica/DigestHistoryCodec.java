package io.shardkv.raft.replica;

import com.google.protobuf.ByteString;
import io.shardkv.api.raft.v1.DigestHistory;
import io.shardkv.api.raft.v1.RaftQueryResult;
import io.shardkv.store.AppliedIndex;
import io.shardkv.store.ReplicaDigest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The wire form of a replica's digest history (the answer to a {@code DigestQuery}). */
public final class DigestHistoryCodec {
  private DigestHistoryCodec() {}

  static RaftQueryResult encode(List<DigestPoint> points, Optional<String> failure) {
    DigestHistory.Builder b = DigestHistory.newBuilder();
    for (DigestPoint p : points) {
      b.addPoints(io.shardkv.api.raft.v1.DigestPoint.newBuilder()
          .setTerm(p.at().term()).setIndex(p.at().index())
          .setSum(ByteString.copyFrom(p.digest().sumBytes())).setPairs(p.digest().pairs()));
    }
    failure.ifPresent(b::setFailure);
    return RaftQueryResult.newBuilder().setDigests(b).build();
  }

  public static List<DigestPoint> points(DigestHistory history) {
    List<DigestPoint> out = new ArrayList<>(history.getPointsCount());
    for (io.shardkv.api.raft.v1.DigestPoint p : history.getPointsList()) {
      ByteBuffer sum = p.getSum().asReadOnlyByteBuffer();
      out.add(new DigestPoint(new AppliedIndex(p.getTerm(), p.getIndex()),
          new ReplicaDigest(sum.getLong(), sum.getLong(), p.getPairs())));
    }
    return out;
  }
}
