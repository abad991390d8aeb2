package io.shardkv.raft.bootstrap;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a node that holds no copy of a shard's group, but is placed on it, starts hosting it in a
 * cluster where not every node holds every shard. Creating the group with the placement's
 * members is only safe while the group exists nowhere: once it does, its members are what its
 * Raft log says, and a replica created with other members could form a second majority with
 * other new nodes (two fresh nodes agree to elect one of them, each with an empty log). So the
 * node asks every other node first:
 * <ul>
 *   <li>some node has the group and this node is among its members: join with those members
 *       (a member that lost its data catches up from the leader);</li>
 *   <li>some node has the group and this node is not a member: do not host it (the placement
 *       of a cluster that has since changed, e.g. a node added to {@code peers});</li>
 *   <li>every other replica the placement names answered that it lacks the group: this is the
 *       cluster's creation; create it with the placement's members;</li>
 *   <li>otherwise (a placed replica did not answer): ask again later.</li>
 * </ul>
 * The owner of the decision; the asking is the caller's.
 */
public final class GroupBootstrap {

  /** What one node said about a group. */
  sealed interface Answer {
    /** The node hosts the group; {@code members} are its current configuration's nodes. */
    record Has(List<String> members) implements Answer {}

    /** The node is up and does not host the group. */
    record Lacks() implements Answer {}

    /** The node did not answer. */
    record Unreachable(String reason) implements Answer {}
  }

  /** What to do with the shard. */
  sealed interface Decision {
    /** Create the group with these members (the placement's, or those another node reported). */
    record Host(List<String> members, String reason) implements Decision {}

    /** Do not host the shard here. */
    record Skip(String reason) implements Decision {}

    /** Not enough answers yet. */
    record Wait(String reason) implements Decision {}
  }

  private GroupBootstrap() {}

  /**
   * @param self this node
   * @param placed the placement's members of the shard (including {@code self})
   * @param answers what each other node said, by node id
   */
  static Decision decide(String self, List<String> placed, Map<String, Answer> answers) {
    Optional<Map.Entry<String, Answer>> holder = answers.entrySet().stream()
        .filter(e -> e.getValue() instanceof Answer.Has).findFirst();
    if (holder.isPresent()) {
      List<String> members = ((Answer.Has) holder.get().getValue()).members();
      return members.contains(self)
          ? new Decision.Host(members, holder.get().getKey() + " hosts it with this node among its members " + members)
          : new Decision.Skip(holder.get().getKey() + " hosts it with members " + members
              + ", which do not include this node");
    }
    for (String peer : placed) {
      if (peer.equals(self)) {
        continue;
      }
      Answer a = answers.get(peer);
      if (!(a instanceof Answer.Lacks)) {
        return new Decision.Wait("placed replica " + peer + " has not answered"
            + (a instanceof Answer.Unreachable u ? " (" + u.reason() + ")" : ""));
      }
    }
    return new Decision.Host(placed, "no node hosts it yet: creating it with the placement's members " + placed);
  }
}
