package io.chronik.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** A log manager with the default small test configuration, started on a temp dir before each test, closed after. */
abstract class ManagedLogTestSupport extends LogTestSupport {
    @TempDir
    Path dir;
    LogManager manager;

    @BeforeEach
    void startManager() throws Exception {
        manager = start(dir);
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }
}
