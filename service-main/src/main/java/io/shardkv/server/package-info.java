/**
 * The process: configuration, Guice wiring (the only place Guice appears), the gRPC services
 * (KV, Admin, health, reflection, snapshot transfer) with validation at the edge (invariant 9),
 * metrics export, readiness and {@code main}. The top of the module graph: nothing depends on it.
 */
package io.shardkv.server;
