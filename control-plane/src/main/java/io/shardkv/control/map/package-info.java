/**
 * The cluster map: what each command does to it (the one place that decides), the meta group's
 * state machine that applies them, the client that reads and changes it, this node's cached
 * view, and the conversion between node addresses and map entries. Must not depend on placement
 * or membership.
 */
package io.shardkv.control.map;
