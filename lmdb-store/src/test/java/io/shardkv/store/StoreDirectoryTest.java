package io.shardkv.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreDirectoryTest {
  @TempDir Path root;

  private static void makeStore(Path generation, String key) throws Exception {
    try (LmdbShardStore s = LmdbShardStore.open(generation, LmdbStoreConfig.defaults())) {
      s.apply(List.of(new StoreOp.Put(key.getBytes(), "v".getBytes())), new AppliedIndex(1, 1));
    }
  }

  @Test
  void noStoreUntilAGenerationIsActivated() throws Exception {
    StoreDirectory dir = new StoreDirectory(root.resolve("shard0"));
    assertThat(dir.current()).isEmpty();
    Path gen = dir.prepareNext();
    assertThat(dir.current()).isEmpty(); // prepared but not live
    makeStore(gen, "a");
    dir.activate(gen);
    assertThat(dir.current()).contains(gen);
  }

  @Test
  void replacingSwitchesAtomicallyAndRemovesTheOldGeneration() throws Exception {
    StoreDirectory dir = new StoreDirectory(root);
    Path first = dir.prepareNext();
    makeStore(first, "a");
    dir.activate(first);

    Path second = dir.prepareNext();
    makeStore(second, "b");
    // A crash here (new generation filled, CURRENT not switched) leaves the old store live.
    assertThat(dir.current()).contains(first);
    dir.activate(second);

    assertThat(dir.current()).contains(second);
    assertThat(Files.exists(first)).isFalse();
  }

  @Test
  void leftoverGenerationsFromACrashAreRemoved() throws Exception {
    StoreDirectory dir = new StoreDirectory(root);
    Path live = dir.prepareNext();
    makeStore(live, "a");
    dir.activate(live);
    Path halfWritten = dir.prepareNext();
    Files.writeString(halfWritten.resolve("data.mdb"), "partial");

    dir.removeInactive();

    assertThat(Files.exists(halfWritten)).isFalse();
    assertThat(dir.current()).contains(live);
  }

  @Test
  void aPointerToAMissingGenerationReadsAsNoStore() throws Exception {
    StoreDirectory dir = new StoreDirectory(root);
    Path gen = dir.prepareNext();
    makeStore(gen, "a");
    dir.activate(gen);
    StoreDirectory.deleteRecursively(gen);
    assertThat(dir.current()).isEmpty();
  }
}
