package dev.processio;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * What the watch of {@code processio.dev.watch} has seen and done, at one moment. Immutable.
 *
 * @param directory the directory watched: the module's
 * @param reloads changes after which every worker was replaced and serves the module as it is now
 * @param failedReloads changes after which the module did not load, so the old workers serve on
 * @param lastChanged the files of the last change, or empty before the first one
 * @param lastChangedAt when the workers began to be replaced for the last change (once it had
 *        been quiet for the debounce), or {@code null} before the first one
 * @param lastError why the module did not load after the last change, with the file and line
 *        when the runtime named them, which workers kept the module as it was, or that the watch
 *        itself has stopped; {@code null} when the last reload served, or before any
 */
public record DevWatchSnapshot(Path directory, long reloads, long failedReloads, List<String> lastChanged,
        Instant lastChangedAt, String lastError) {

    public DevWatchSnapshot {
        lastChanged = List.copyOf(lastChanged);
    }
}
