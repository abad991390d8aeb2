package io.shardkv.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LmdbNativeLibraryTest {
  @Test
  void thisPlatformsLibraryIsBundledUnderTheNameWeDerive() {
    String resource = LmdbNativeLibrary.bundledResource().orElseThrow();
    assertThat(getClass().getClassLoader().getResource(resource)).as(resource).isNotNull();
  }

  @Test
  void everyStoreOpenReusesOneSharedCopyInsteadOfATempFilePerJvm(@TempDir Path dir) throws Exception {
    Path library = LmdbNativeLibrary.install().orElseThrow();
    try (LmdbShardStore store = LmdbShardStore.open(dir.resolve("s"), LmdbStoreConfig.defaults())) {
      assertThat(store.readMeta()).isNotNull();
    }
    assertThat(LmdbNativeLibrary.install()).hasValue(library);
    assertThat(System.getProperty(LmdbNativeLibrary.PROPERTY)).isEqualTo(library.toString());
    assertThat(Files.size(library)).isPositive();
  }
}
