package dev.processio.support;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The private temporary directories into which processio copies files out of the classpath (the
 * Node.js worker runtime, a {@code classpath:} module), and the removal of those that a killed JVM
 * left behind.
 *
 * <p><b>Not application API.</b> It is public only because {@code processio-spring-boot-autoconfigure}
 * copies modules with it; it may change in any release.
 *
 * <p><b>Design.</b> Every JVM makes directories of its own, readable by its user only
 * ({@code rwx------}), and deletes them on {@code close()}, so no temporary file outlives the
 * object that made it. A JVM that is killed cannot run any {@code close()}, so each directory's
 * name records its owner: {@code processio-<kind>-<pid>-<start>-<pidns>-<random>}, with the pid,
 * the process's start time in epoch milliseconds (pids are reused; 0 when the platform does not
 * tell) and the pid namespace on Linux (0 elsewhere). The first directory a JVM makes under a temp
 * root triggers one sweep of that root, which deletes the directories of dead JVMs.
 *
 * <p>Each new directory is checked before it is used ({@link #checkPrivate}): a directory that is
 * not {@code rwx------}, not owned by this process's user, or a symbolic link, is refused with an
 * {@link IOException}. Since each name is new and {@code mkdir} fails on an existing entry, a
 * directory that someone created in advance is never taken for one of processio's.
 *
 * <p>The owner is part of the name rather than a file inside, so the directory and its owner
 * record come into being in one {@code mkdir}: there is no moment at which another JVM could see
 * a live JVM's directory without knowing who owns it. A shared, content-addressed directory per
 * user would also stop the growth, but it would outlive every {@code close()} and need a reference
 * count between JVMs to be deleted at all.
 *
 * <p>The sweep deletes an entry only when all of these hold:
 * <ul>
 *   <li>its name matches the pattern above exactly (so directories of older processio versions,
 *       and everything else, are left alone);</li>
 *   <li>it is a directory and not a symbolic link, read without following links;</li>
 *   <li>it is owned by the same user as the directory this JVM has just made;</li>
 *   <li>it was made in this JVM's pid namespace (another container sharing the temp directory has
 *       pids that mean nothing here);</li>
 *   <li>its owner is verifiably dead: no live process has its pid, or the live one started more
 *       than {@link #START_TIME_TOLERANCE} away from the recorded start (the pid was reused).
 *       A live pid whose start time cannot be read counts as the owner.</li>
 * </ul>
 * Deleting never follows a symbolic link: a link inside is removed, not its target. On a file
 * system without POSIX permissions the directories are made with the default ones, and where a
 * file's owner cannot be read nothing is swept. A failed sweep or deletion is logged at DEBUG and
 * never fails the caller: a leftover directory is harmless.
 *
 * <p>Thread-safe: every method is static and the only shared state is the concurrent set of roots
 * already swept.
 */
public final class PrivateTempDirectories {

    /**
     * How far a live process's start time may lie from the recorded one and still be the owner. On
     * Linux each JVM derives start times from the boot time it read, which can differ by a second
     * between JVMs.
     */
    static final Duration START_TIME_TOLERANCE = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(PrivateTempDirectories.class);

    private static final Pattern KIND = Pattern.compile("[a-z]{1,20}");

    private static final Pattern NAME =
            Pattern.compile("processio-[a-z]{1,20}-(\\d{1,19})-(\\d{1,19})-(\\d{1,19})-[0-9a-f]{16}");

    private static final int ATTEMPTS = 100;

    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");

    /** Temp roots this JVM has swept, as absolute normalized paths. */
    private static final Set<Path> SWEPT = ConcurrentHashMap.newKeySet();

    private PrivateTempDirectories() {
    }

    /**
     * Makes a new private directory {@code processio-<kind>-...} under {@code java.io.tmpdir}. The
     * first call for a temp root first removes the stale directories of dead JVMs there.
     *
     * @param kind what the directory holds, lowercase letters only ({@code node}, {@code module})
     * @throws IOException if the directory cannot be made
     */
    public static Path create(String kind) throws IOException {
        return create(Path.of(System.getProperty("java.io.tmpdir")), kind);
    }

    /**
     * Deletes a directory and everything under it without following symbolic links. Quiet: what
     * cannot be deleted stays.
     */
    public static void delete(Path directory) {
        if (directory == null) {
            return;
        }
        try {
            deleteTree(directory);
        } catch (IOException e) {
            log.debug("Could not delete the temporary directory {}", directory, e);
        }
    }

    static Path create(Path root, String kind) throws IOException {
        if (!KIND.matcher(kind).matches()) {
            throw new IllegalArgumentException("kind must be 1 to 20 lowercase letters, not '" + kind + "'");
        }
        Owner me = Owner.current();
        Path directory = null;
        for (int attempt = 1; directory == null; attempt++) {
            Path candidate = root.resolve(me.directoryName(kind, Random.hex()));
            try {
                directory = createPrivate(candidate);
            } catch (FileAlreadyExistsException taken) {
                if (attempt == ATTEMPTS) {
                    throw taken;
                }
            }
        }
        if (SWEPT.add(root.toAbsolutePath().normalize())) {
            sweep(root, directory, me);
        }
        return directory;
    }

    private static Path createPrivate(Path directory) throws IOException {
        try {
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PRIVATE));
        } catch (UnsupportedOperationException notPosix) {
            return Files.createDirectory(directory);
        }
        checkPrivate(directory);
        return directory;
    }

    /**
     * Refuses a directory that others could read or write into before processio uses it: one that
     * is a symbolic link, is owned by another user than this process's, or has other permissions
     * than {@code rwx------}. A file system that ignores the mode asked for at {@code mkdir}, or a
     * directory put in its place, would otherwise hand the worker runtime's files to other users.
     *
     * @throws IOException naming the directory and what is wrong with it
     */
    static void checkPrivate(Path directory) throws IOException {
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(directory, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException notPosix) {
            return;
        }
        String problem = null;
        if (!attributes.isDirectory() || attributes.isSymbolicLink()) {
            problem = "it is not a directory";
        } else if (!attributes.permissions().equals(PRIVATE)) {
            problem = "its permissions are " + PosixFilePermissions.toString(attributes.permissions())
                    + ", not rwx------";
        } else {
            Optional<UserPrincipal> me = currentUser(directory);
            if (me.isPresent() && !me.get().equals(attributes.owner())) {
                problem = "it is owned by " + attributes.owner().getName() + ", not by this process's user "
                        + me.get().getName();
            }
        }
        if (problem != null) {
            delete(directory);
            throw new IOException("processio refuses the temporary directory " + directory + ": " + problem
                    + ". Check the temporary directory (java.io.tmpdir) and who else can write to it");
        }
    }

    /** This process's user: the owner of {@code /proc/self} on Linux, else the user named by {@code user.name}. */
    private static Optional<UserPrincipal> currentUser(Path anyPath) {
        try {
            Path proc = Path.of("/proc/self");
            if (Files.isDirectory(proc)) {
                return Optional.of(Files.getOwner(proc));
            }
            return Optional.of(anyPath.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName(System.getProperty("user.name")));
        } catch (IOException | UnsupportedOperationException | SecurityException unknown) {
            return Optional.empty();
        }
    }

    private static void sweep(Path root, Path mine, Owner me) {
        try {
            UserPrincipal user = Files.getOwner(mine, LinkOption.NOFOLLOW_LINKS);
            List<Path> removed = removeStale(root, user, me);
            if (!removed.isEmpty()) {
                log.debug("Removed {} temporary directories of JVMs that ended without closing them: {}",
                        removed.size(), removed);
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            log.debug("Could not look for stale temporary directories in {}", root, e);
        }
    }

    /** Deletes the stale directories under {@code root} and returns them; see the class Javadoc for the rules. */
    static List<Path> removeStale(Path root, UserPrincipal user, Owner me) throws IOException {
        List<Path> removed = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, "processio-*")) {
            for (Path entry : entries) {
                try {
                    if (isStale(entry, user, me)) {
                        deleteTree(entry);
                        removed.add(entry);
                    }
                } catch (NoSuchFileException gone) {
                    // Deleted by its owner, or by another JVM's sweep, while we looked.
                } catch (IOException e) {
                    log.debug("Could not remove the stale temporary directory {}", entry, e);
                }
            }
        }
        return removed;
    }

    private static boolean isStale(Path entry, UserPrincipal user, Owner me) throws IOException {
        Optional<Owner> owner = Owner.parse(entry.getFileName().toString());
        if (owner.isEmpty()) {
            return false;
        }
        BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isDirectory()) {
            return false;
        }
        if (!user.equals(Files.getOwner(entry, LinkOption.NOFOLLOW_LINKS))) {
            return false;
        }
        return owner.get().isVerifiablyDead(me);
    }

    /** Files.walkFileTree does not follow links unless asked to: a link is visited, and deleted, as a file. */
    private static void deleteTree(Path directory) throws IOException {
        Files.walkFileTree(directory, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failed) throws IOException {
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * The process that made a directory, as recorded in its name.
     *
     * @param startMillis the process's start in epoch milliseconds, 0 when unknown
     * @param pidNamespace the inode of the Linux pid namespace, 0 elsewhere or when unknown
     */
    record Owner(long pid, long startMillis, long pidNamespace) {

        private static final Owner CURRENT = new Owner(ProcessHandle.current().pid(),
                ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli).orElse(0L),
                readPidNamespace());

        /** This JVM. */
        static Owner current() {
            return CURRENT;
        }

        static Optional<Owner> parse(String name) {
            Matcher m = NAME.matcher(name);
            if (!m.matches()) {
                return Optional.empty();
            }
            try {
                return Optional.of(new Owner(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
                        Long.parseLong(m.group(3))));
            } catch (NumberFormatException tooLarge) {
                return Optional.empty();
            }
        }

        /** {@code processio-<kind>-<pid>-<start>-<pidns>-<random>}. */
        String directoryName(String kind, String random) {
            return "processio-" + kind + "-" + pid + "-" + startMillis + "-" + pidNamespace + "-" + random;
        }

        /** True only when this owner is certainly not running; every doubt keeps the directory. */
        boolean isVerifiablyDead(Owner me) {
            if (pidNamespace != me.pidNamespace) {
                return false;
            }
            Optional<ProcessHandle> process;
            try {
                process = ProcessHandle.of(pid);
            } catch (RuntimeException cannotTell) {
                return false;
            }
            if (process.isEmpty() || !process.get().isAlive()) {
                return true;
            }
            if (startMillis == 0) {
                return false;
            }
            return process.get().info().startInstant()
                    .map(started -> Math.abs(started.toEpochMilli() - startMillis) > START_TIME_TOLERANCE.toMillis())
                    .orElse(false);
        }

        /** The inode in {@code /proc/self/ns/pid -> pid:[4026531836]}; 0 where there is none. */
        private static long readPidNamespace() {
            try {
                String link = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
                Matcher m = Pattern.compile("pid:\\[(\\d{1,19})]").matcher(link);
                return m.matches() ? Long.parseLong(m.group(1)) : 0;
            } catch (IOException | UnsupportedOperationException | SecurityException | NumberFormatException e) {
                return 0;
            }
        }
    }

    /** Lazily, so that a JVM that never makes a directory never seeds a SecureRandom. */
    private static final class Random {

        private static final SecureRandom RANDOM = new SecureRandom();

        static String hex() {
            byte[] bytes = new byte[8];
            RANDOM.nextBytes(bytes);
            return HexFormat.of().formatHex(bytes);
        }
    }
}
