package io.shardkv.raft.ratis;

import java.nio.file.Path;

/**
 * PEM files of a node's TLS identity: its certificate chain and PKCS#8 private key, and the CA
 * certificate(s) it trusts for the other side. Used for Raft traffic between nodes (mutual TLS)
 * and, in service-main, for the client port.
 */
public record TlsFiles(Path certChain, Path privateKey, Path trustCa) {}
