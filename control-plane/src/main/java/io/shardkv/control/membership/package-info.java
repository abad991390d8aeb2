/**
 * A node entering and leaving the cluster: joining through the seeds' cluster map, and Admin
 * DrainNode's check, mark and wait. Uses the map; must not depend on placement (the controller
 * does the moves a drain waits for).
 */
package io.shardkv.control.membership;
