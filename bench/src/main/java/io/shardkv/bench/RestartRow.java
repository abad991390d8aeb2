package io.shardkv.bench;

import java.util.Locale;

/**
 * One timed restart: which system and mode, how much data it held, and the time from process
 * spawn to the first successful linearizable read.
 *
 * @param system "shardkv" or "etcd"
 * @param mode how it was stopped and restarted, e.g. "sigterm-skip", "sigkill-writes-restore"
 * @param sizeGb the data size asked for
 * @param loadedMib values written, in MiB
 * @param diskMib the data directory's size on disk, in MiB
 * @param run 1-based repetition
 * @param seconds spawn to first successful linearizable read
 * @param detail what the node said about its start (shardkv: the cold-start outcomes)
 */
public record RestartRow(String system, String mode, double sizeGb, long loadedMib, long diskMib,
    int run, double seconds, String detail) {

  static final String CSV_HEADER = "system,mode,size_gb,loaded_mib,disk_mib,run,restart_s,detail";

  String csv() {
    return String.format(Locale.ROOT, "%s,%s,%s,%d,%d,%d,%.3f,%s", system, mode, sizeGb, loadedMib,
        diskMib, run, seconds, detail.replace(',', ';'));
  }

  /** The series this row belongs to in the plot. */
  String series() {
    return system + " " + mode;
  }
}
