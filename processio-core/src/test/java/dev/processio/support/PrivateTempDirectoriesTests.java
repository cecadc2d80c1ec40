package dev.processio.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.processio.support.PrivateTempDirectories.Owner;
import dev.processio.testing.NoLeaks;
import dev.processio.pool.TempDirectoryMaker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stale directories of killed JVMs are removed at the next start, and nothing else is. Child JVMs
 * run with {@code java.io.tmpdir} set to a private root, so the real temp directory is never read.
 */
@ExtendWith(NoLeaks.class)
class PrivateTempDirectoriesTests {

    private static final String RANDOM = "0123456789abcdef";

    @TempDir
    Path root;

    @TempDir
    Path outside;

    private final List<Process> jvms = new ArrayList<>();
    private final Owner me = Owner.current();
    private UserPrincipal user;

    @BeforeEach
    void readUser() throws IOException {
        user = Files.getOwner(root);
    }

    @AfterEach
    void killJvms() throws InterruptedException {
        for (Process jvm : jvms) {
            jvm.destroyForcibly();
            assertThat(jvm.waitFor(30, TimeUnit.SECONDS)).as("test JVM %d ended", jvm.pid()).isTrue();
        }
    }

    // ---- against real JVMs -----------------------------------------------------------------------

    @Test
    void theNextStartRemovesTheDirectoriesOfAKilledJvm() throws Exception {
        Process killed = jvm("hold");
        List<Path> left = readDirectories(killed, 2);
        assertThat(left.get(0).resolve("processio-worker.mjs")).isRegularFile();
        assertThat(left.get(0).getFileName().toString()).startsWith("processio-node-" + killed.pid() + "-");
        assertThat(left.get(1).getFileName().toString()).startsWith("processio-module-" + killed.pid() + "-");

        killed.destroyForcibly();
        assertThat(killed.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(left).allSatisfy(dir -> assertThat(dir).isDirectory());

        Process next = jvm("once");
        readDirectories(next, 1);
        assertThat(next.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(next.exitValue()).isZero();
        assertThat(entries(root)).isEmpty();
    }

    @Test
    void theDirectoriesOfALiveJvmAreKept() throws Exception {
        Process live = jvm("hold");
        List<Path> held = readDirectories(live, 2);

        Process next = jvm("once");
        readDirectories(next, 1);
        assertThat(next.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(PrivateTempDirectories.removeStale(root, user, me)).isEmpty();
        assertThat(entries(root)).containsExactlyInAnyOrderElementsOf(held);

        // Its own close() deletes them when it ends normally.
        live.getOutputStream().close();
        assertThat(live.waitFor(30, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> entries(root).isEmpty());
    }

    // ---- the rules, with names made up for the case ----------------------------------------------

    @Test
    void aDirectoryIsPrivateAndNamedForThisJvm() throws Exception {
        Path dir = PrivateTempDirectories.create(root, "node");
        assertThat(dir.getParent()).isEqualTo(root);
        assertThat(dir.getFileName().toString())
                .matches("processio-node-" + me.pid() + "-" + me.startMillis() + "-" + me.pidNamespace() + "-[0-9a-f]{16}");
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        }
        assertThat(PrivateTempDirectories.removeStale(root, user, me)).as("this JVM's own directory").isEmpty();
        PrivateTempDirectories.delete(dir);
        assertThat(dir).doesNotExist();
    }

    @Test
    void aDirectoryThatOthersCouldUseIsRefused() throws Exception {
        assumeThat(FileSystems.getDefault().supportedFileAttributeViews()).contains("posix");
        Path open = Files.createDirectory(outside.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThatThrownBy(() -> PrivateTempDirectories.checkPrivate(open)).isInstanceOf(IOException.class)
                .hasMessageContaining(open.toString()).hasMessageContaining("rwxr-xr-x, not rwx------");

        Path target = Files.createDirectory(outside.resolve("target"));
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
        Path link = Files.createSymbolicLink(outside.resolve("link"), target);
        assertThatThrownBy(() -> PrivateTempDirectories.checkPrivate(link)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a directory");
        assertThat(target).as("a refused link's target is left alone").isDirectory();

        Path mine = Files.createDirectory(outside.resolve("mine"));
        Files.setPosixFilePermissions(mine, PosixFilePermissions.fromString("rwx------"));
        PrivateTempDirectories.checkPrivate(mine);
    }

    @Test
    void aDirectoryOfAnotherUserIsRefused() throws Exception {
        assumeThat(FileSystems.getDefault().supportedFileAttributeViews()).contains("posix");
        Path theirs = Files.createDirectory(outside.resolve("theirs"));
        Files.setPosixFilePermissions(theirs, PosixFilePermissions.fromString("rwx------"));
        UserPrincipal nobody;
        try {
            nobody = theirs.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
            Files.setOwner(theirs, nobody);
        } catch (IOException notAllowed) {
            assumeThat(notAllowed).as("only a privileged user can give a directory away").isNull();
            return;
        }
        assumeThat(nobody).isNotEqualTo(user);
        assertThatThrownBy(() -> PrivateTempDirectories.checkPrivate(theirs)).isInstanceOf(IOException.class)
                .hasMessageContaining("owned by nobody");
    }

    @Test
    void aLivePidWithAnotherStartTimeIsAReusedPid() throws Exception {
        Path reused = mkdir(new Owner(me.pid(), me.startMillis() - Duration.ofHours(1).toMillis(), me.pidNamespace()));
        Path withinTolerance = mkdir(new Owner(me.pid(), me.startMillis() + 500, me.pidNamespace()));

        assertThat(PrivateTempDirectories.removeStale(root, user, me)).containsExactly(reused);
        assertThat(reused).doesNotExist();
        assertThat(withinTolerance).isDirectory();
    }

    @Test
    void anOwnerThatCannotBeVerifiedKeepsItsDirectory() throws Exception {
        Path noStartTime = mkdir(new Owner(me.pid(), 0, me.pidNamespace()));
        Path otherNamespace = mkdir(new Owner(me.pid(), 1, me.pidNamespace() + 1));
        Path stale = mkdir(new Owner(me.pid(), 1, me.pidNamespace()));

        UserPrincipal someoneElse = () -> "someone-else";
        assertThat(PrivateTempDirectories.removeStale(root, someoneElse, me)).as("another user's").isEmpty();
        assertThat(PrivateTempDirectories.removeStale(root, user, me)).containsExactly(stale);
        assertThat(noStartTime).isDirectory();
        assertThat(otherNamespace).isDirectory();
    }

    @Test
    void symbolicLinksAreNotFollowed() throws Exception {
        Path victim = Files.createDirectory(outside.resolve("victim"));
        Files.writeString(victim.resolve("keep.txt"), "mine");
        Path stale = mkdir(new Owner(me.pid(), 1, me.pidNamespace()));
        assumeThat(trySymlink(stale.resolve("link"), victim)).as("symbolic links supported").isTrue();
        Files.writeString(stale.resolve("copy.txt"), "x");
        Path linkNamedLikeOurs = root.resolve(new Owner(me.pid(), 1, me.pidNamespace()).directoryName("module", "fedcba9876543210"));
        Files.createSymbolicLink(linkNamedLikeOurs, victim);

        assertThat(PrivateTempDirectories.removeStale(root, user, me)).containsExactly(stale);
        assertThat(stale).doesNotExist();
        assertThat(Files.isSymbolicLink(linkNamedLikeOurs)).as("a link in the root is not ours to remove").isTrue();
        assertThat(victim.resolve("keep.txt")).hasContent("mine");

        PrivateTempDirectories.delete(linkNamedLikeOurs);
        assertThat(linkNamedLikeOurs).doesNotExist();
        assertThat(victim.resolve("keep.txt")).hasContent("mine");
    }

    @Test
    void entriesOfAnotherPatternAreUntouched() throws Exception {
        Owner stale = new Owner(me.pid(), 1, me.pidNamespace());
        List<Path> others = List.of(
                Files.createDirectory(root.resolve("processio-node-1234567890")),
                Files.createDirectory(root.resolve("processio-node-" + me.pid() + "-1-" + me.pidNamespace() + "-xyz")),
                Files.createDirectory(root.resolve("processio-Node-" + me.pid() + "-1-" + me.pidNamespace() + "-" + RANDOM)),
                Files.createDirectory(root.resolve("other-node-" + me.pid() + "-1-" + me.pidNamespace() + "-" + RANDOM)),
                Files.createDirectory(root.resolve(stale.directoryName("node", RANDOM) + ".bak")),
                Files.writeString(root.resolve(stale.directoryName("node", RANDOM)), "a file, not a directory"));

        assertThat(PrivateTempDirectories.removeStale(root, user, me)).isEmpty();
        assertThat(entries(root)).containsExactlyInAnyOrderElementsOf(others);
    }

    @Test
    void aKindIsLowercaseLetters() {
        assertThatIllegalArgumentException().isThrownBy(() -> PrivateTempDirectories.create(root, "../x"));
        assertThatIllegalArgumentException().isThrownBy(() -> PrivateTempDirectories.create(root, "Node"));
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private Process jvm(String mode) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process jvm = new ProcessBuilder(java, "-Djava.io.tmpdir=" + root, "-cp", System.getProperty("java.class.path"),
                TempDirectoryMaker.class.getName(), mode)
                .redirectError(outside.resolve(mode + "-" + System.nanoTime() + ".stderr").toFile())
                .start();
        jvms.add(jvm);
        return jvm;
    }

    /** The first {@code count} lines a test JVM prints: the directories it made. */
    private static List<Path> readDirectories(Process jvm, int count) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String line = out.readLine();
            assertThat(line).as("directory %d of JVM %d", i + 1, jvm.pid()).isNotNull();
            dirs.add(Path.of(line));
        }
        return dirs;
    }

    private Path mkdir(Owner owner) throws IOException {
        return Files.createDirectory(root.resolve(owner.directoryName("node", Long.toHexString(System.nanoTime() | 1L << 63))));
    }

    private static boolean trySymlink(Path link, Path target) {
        try {
            Files.createSymbolicLink(link, target);
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static List<Path> entries(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.toList();
        }
    }
}
