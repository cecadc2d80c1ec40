package dev.processio.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.processio.Backpressure;
import dev.processio.BridgeRejectedException;
import dev.processio.testing.NoLeaks;
import dev.processio.testing.TestWorkers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** ProcessIO against real Node processes that read, pause, stop reading, or close their stdin. */
@ExtendWith(NoLeaks.class)
class ProcessIOTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "test-scheduler");
        t.setDaemon(true);
        return t;
    });
    private final RecordingOwner owner = new RecordingOwner();
    private final List<Process> processes = new ArrayList<>();
    private final List<ProcessIO> ios = new ArrayList<>();

    @BeforeEach
    void checkNode() throws Exception {
        assertThat(new ProcessBuilder(TestWorkers.node(), "--version").start().waitFor()).isZero();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (ProcessIO io : ios) {
            io.destroy();
        }
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        for (ProcessIO io : ios) {
            assertThat(io.awaitStopped(Duration.ofSeconds(10))).as("writer thread stopped").isTrue();
        }
        scheduler.shutdownNow();
    }

    @Test
    void writesManySmallFramesExactlyOnceAndInOrder() throws Exception {
        Process sink = start(TestWorkers.rawNode("sink.mjs"));
        ProcessIO io = wrap(sink, ProcessIO.Settings.defaults());
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        long bytes = 0;
        for (int seq = 0; seq < 20_000; seq++) {
            byte[] frame = frame(seq, 60);
            bytes += frame.length;
            writes.add(io.write(frame));
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        io.close();

        JsonNode summary = summary(sink);
        assertThat(summary.get("ok").booleanValue()).as(summary.toString()).isTrue();
        assertThat(summary.get("lines").longValue()).isEqualTo(20_000);
        assertThat(summary.get("bytes").longValue()).isEqualTo(bytes);
        assertThat(io.stats().framesWritten()).isEqualTo(20_000);
        assertThat(io.stats().bytesWritten()).isEqualTo(bytes);
        assertThat(io.stats().queuedFrames()).isZero();
        assertThat(io.stats().queuedBytes()).isZero();
        assertThat(io.stats().epipeCount()).isZero();
    }

    @Test
    void aSmallFrameIsWrittenByItsCallerWhileThePipeHasRoomForIt() throws Exception {
        Process sink = start(TestWorkers.rawNode("sink.mjs"));
        ProcessIO io = wrap(sink, ProcessIO.Settings.defaults());
        String caller = Thread.currentThread().getName();
        int size = 100;
        int fit = FrameQueue.DIRECT_ROOM / size;
        List<RecordingFrame> frames = new ArrayList<>();
        for (int seq = 0; seq < fit; seq++) {
            RecordingFrame f = new RecordingFrame(exactly(seq, size));
            io.write(f);
            frames.add(f);
        }
        // Nothing has been answered, so these are all the bytes the worker may not have read.
        for (int seq = 0; seq < fit; seq++) {
            assertThat(frames.get(seq).join()).as("frame %d", seq).isEqualTo((seq + 1L) * size);
            assertThat(frames.get(seq).thread).as("frame %d", seq).isEqualTo(caller);
        }

        RecordingFrame over = new RecordingFrame(exactly(fit, size));
        io.write(over);
        assertThat(over.get(10, TimeUnit.SECONDS)).isEqualTo((fit + 1L) * size);
        assertThat(over.thread).as("a frame that might not fit into the pipe").endsWith("-stdin");

        // Once the worker has been seen to read everything, the caller writes again. The writer thread
        // may still hold the write turn for a moment after it reported the frame written, and then
        // writes the next frame itself; so frames go out, each acknowledged, until one is the caller's.
        io.consumed(over.join());
        int[] next = {fit + 1};
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            RecordingFrame f = new RecordingFrame(exactly(next[0]++, size));
            io.write(f);
            io.consumed(f.get(10, TimeUnit.SECONDS));
            return f.thread.equals(Thread.currentThread().getName());
        });
        io.close();

        JsonNode summary = summary(sink);
        assertThat(summary.get("ok").booleanValue()).as(summary.toString()).isTrue();
        assertThat(summary.get("lines").longValue()).isEqualTo(next[0]);
        assertThat(summary.get("bytes").longValue()).isEqualTo((long) next[0] * size);
    }

    @Test
    void theSchedulersThreadLeavesEveryWriteToTheWriterThread() throws Exception {
        Process sink = start(TestWorkers.rawNode("sink.mjs"));
        ProcessIO io = wrap(sink, ProcessIO.Settings.defaults());
        RecordingFrame offered = new RecordingFrame(exactly(0, 100));
        RecordingFrame written = new RecordingFrame(exactly(1, 100));
        Thread scheduler = ProcessIO.newSchedulerThread(() -> {
            io.offer(offered);
            offered.join();
            io.write(written);
        }, "test-scheduler-thread");
        scheduler.start();
        scheduler.join(TimeUnit.SECONDS.toMillis(10));

        // The queue was empty and the pipe had room: any other thread would have written both itself.
        assertThat(offered.get(10, TimeUnit.SECONDS)).isEqualTo(100);
        assertThat(written.get(10, TimeUnit.SECONDS)).isEqualTo(200);
        assertThat(List.of(offered.thread, written.thread)).allSatisfy(t -> assertThat(t).endsWith("-stdin"));
        io.close();
        assertThat(summary(sink).get("lines").longValue()).isEqualTo(2);
    }

    @Test
    void callersAndTheWriterThreadTakeTurnsWithoutReorderingOrRepeatingAFrame() throws Exception {
        Process sink = start(TestWorkers.rawNode("sink.mjs"));
        ProcessIO io = wrap(sink, ProcessIO.Settings.defaults());
        Object order = new Object();
        int[] next = {0};
        int perThread = 5_000;
        List<RecordingFrame> frames = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> producers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread producer = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    RecordingFrame f;
                    // Sizes from 20 B to about 6 KiB: some fit into the room left, some never do.
                    synchronized (order) {
                        int seq = next[0]++;
                        f = new RecordingFrame(frame(seq, 20 + (seq * 7919) % 6000));
                        io.write(f);
                    }
                    frames.add(f);
                    // As a reply would: the sink reads everything, at its own pace.
                    f.thenAccept(io::consumed);
                }
            }, "test-producer-" + t);
            producer.start();
            producers.add(producer);
        }
        for (Thread producer : producers) {
            producer.join(TimeUnit.SECONDS.toMillis(60));
        }
        CompletableFuture.allOf(frames.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        io.close();

        JsonNode summary = summary(sink);
        assertThat(summary.get("ok").booleanValue()).as(summary.toString()).isTrue();
        assertThat(summary.get("lines").longValue()).isEqualTo(4L * perThread);
        long bytes = frames.stream().mapToLong(f -> f.bytes().length).sum();
        assertThat(summary.get("bytes").longValue()).isEqualTo(bytes);
        assertThat(frames.stream().mapToLong(CompletableFuture::join).max().orElseThrow()).isEqualTo(bytes);
        assertThat(io.stats().framesWritten()).isEqualTo(4L * perThread);
    }

    @Test
    void waitsForAWorkerThatStopsReadingAndLosesNothing() throws Exception {
        // The sink reads nothing for 2 s while 4 MiB are queued: far more than a pipe holds.
        Process sink = start(TestWorkers.rawNode("sink.mjs", "--pause-ms", "2000"));
        ProcessIO io = wrap(sink, ProcessIO.Settings.defaults());
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        int frames = 128;
        long bytes = 0;
        for (int seq = 0; seq < frames; seq++) {
            byte[] frame = frame(seq, 32 * 1024 - 40 + (seq % 3) * 20_000);
            bytes += frame.length;
            writes.add(io.write(frame));
        }
        assertThat(bytes).isGreaterThan(4L << 20);
        await().atMost(Duration.ofSeconds(5)).until(() -> io.queuedBytes() > (2L << 20));

        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        ProcessIO.Stats stats = io.stats();
        assertThat(stats.drainWaits()).isPositive();
        assertThat(stats.drainTime()).isGreaterThan(Duration.ofMillis(1000));
        assertThat(stats.queuedFrames()).isZero();
        io.close();

        JsonNode summary = summary(sink);
        assertThat(summary.get("ok").booleanValue()).as(summary.toString()).isTrue();
        assertThat(summary.get("lines").longValue()).isEqualTo(frames);
        assertThat(summary.get("bytes").longValue()).isEqualTo(bytes);
    }

    @Test
    void failPolicyRejectsAtOnceWhenTheQueueIsFull() throws Exception {
        Process sink = start(TestWorkers.rawNode("sink.mjs", "--pause-ms", "60000"));
        ProcessIO io = wrap(sink, new ProcessIO.Settings(4, 1 << 20, Backpressure.FAIL, Duration.ZERO,
                Duration.ofSeconds(30)));
        // Fill the pipe first, so that queued frames stay queued.
        io.write(new byte[200_000]);
        await().atMost(Duration.ofSeconds(5)).until(() -> io.bytesWritten() > 0);
        for (int i = 0; i < 3; i++) {
            io.write(frame(i, 100));
        }
        await().until(() -> io.queuedFrames() == 4);
        CompletableFuture<Void> rejected = io.write(frame(4, 100));
        assertThat(rejected).isCompletedExceptionally();
        assertThatThrownBy(rejected::join).hasCauseInstanceOf(BridgeRejectedException.class)
                .hasMessageContaining("processio.io.write-queue-frames");
    }

    @Test
    void blockPolicyWaitsForRoomThenGivesUp() throws Exception {
        Process sink = start(TestWorkers.rawNode("sink.mjs", "--pause-ms", "60000"));
        ProcessIO io = wrap(sink, new ProcessIO.Settings(2, 1 << 20, Backpressure.BLOCK, Duration.ofMillis(300),
                Duration.ofSeconds(30)));
        io.write(new byte[200_000]);
        await().atMost(Duration.ofSeconds(5)).until(() -> io.bytesWritten() > 0);
        io.write(frame(1, 10));
        long start = System.nanoTime();
        CompletableFuture<Void> rejected = io.write(frame(2, 10));
        long waited = System.nanoTime() - start;
        assertThat(Duration.ofNanos(waited)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThatThrownBy(rejected::join).hasCauseInstanceOf(BridgeRejectedException.class)
                .hasMessageContaining("processio.io.enqueue-timeout");
    }

    @Test
    void blockedProducerProceedsWhenTheWorkerDrains() throws Exception {
        Process sink = start(TestWorkers.rawNode("sink.mjs", "--pause-ms", "1000", "--no-verify"));
        ProcessIO io = wrap(sink, new ProcessIO.Settings(2, 1 << 20, Backpressure.BLOCK, Duration.ofSeconds(20),
                Duration.ofSeconds(30)));
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            writes.add(io.write(new byte[100_000]));
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        io.close();
        assertThat(summary(sink).get("bytes").longValue()).isEqualTo(1_000_000);
    }

    @Test
    void writeTimeoutReportsAStallAndTheKillFailsEveryFrame() throws Exception {
        Process sink = start(TestWorkers.rawNode("sink.mjs", "--pause-ms", "600000"));
        owner.onStall = () -> sink.destroyForcibly();
        ProcessIO io = wrap(sink, new ProcessIO.Settings(1024, 64 << 20, Backpressure.BLOCK, Duration.ofSeconds(5),
                Duration.ofMillis(400)));
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            writes.add(io.write(frame(i, 30_000)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> writes.stream().allMatch(CompletableFuture::isDone));

        assertThat(owner.stalls.get()).isEqualTo(1);
        assertThat(owner.broken.get()).isZero();
        assertThat(io.epipeCount()).isZero();
        List<StdinWriteException> failures = failures(writes);
        long written = writes.stream().filter(w -> !w.isCompletedExceptionally()).count();
        assertThat(written + failures.size()).isEqualTo(40);
        assertThat(failures).isNotEmpty().allMatch(e -> e instanceof StdinStalledException);
        assertThat(failures).anyMatch(StdinWriteException::reachedWorker);
        assertThat(failures.get(failures.size() - 1).reachedWorker()).isFalse();
        assertThat(io.awaitStopped(Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void brokenPipeIsCountedReportedOnceAndFailsEveryQueuedFrame() throws Exception {
        // The worker closes its stdin at once and stays alive.
        Process worker = start(List.of(TestWorkers.node(), "-e",
                "require('fs').closeSync(0); process.stdout.write('closed\\n'); setInterval(() => {}, 1000);"));
        assertThat(new BufferedReader(new InputStreamReader(worker.getInputStream())).readLine()).isEqualTo("closed");
        ProcessIO io = wrap(worker, ProcessIO.Settings.defaults());
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            writes.add(io.write(frame(i, 2_000)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> writes.stream().allMatch(CompletableFuture::isDone));

        List<StdinWriteException> failures = failures(writes);
        assertThat(failures).hasSize(200).allMatch(e -> e instanceof BrokenPipeException);
        assertThat(failures.get(0).reachedWorker()).isTrue();
        assertThat(failures.get(199).reachedWorker()).isFalse();
        assertThat(failures.get(199).getCause()).isSameAs(failures.get(0).getCause());
        assertThat(io.epipeCount()).isEqualTo(1);
        assertThat(owner.broken.get()).isEqualTo(1);
        assertThat(owner.lastBroken.get().getMessage()).contains("Broken pipe");

        CompletableFuture<Void> after = io.write(frame(0, 10));
        assertThatThrownBy(after::join).hasCauseInstanceOf(BrokenPipeException.class);
        assertThat(owner.broken.get()).isEqualTo(1);
        assertThat(io.awaitStopped(Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void destroyFailsQueuedFramesAsUnwrittenAndStopsTheWriter() throws Exception {
        Process sink = start(TestWorkers.rawNode("sink.mjs", "--pause-ms", "600000"));
        ProcessIO io = wrap(sink, ProcessIO.Settings.defaults());
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            writes.add(io.write(frame(i, 20_000)));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> io.bytesWritten() > 0);

        // Destroy from several threads at once: idempotent.
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                io.destroy();
            });
            t.start();
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(writes).allMatch(CompletableFuture::isDone);
        List<StdinWriteException> failures = failures(writes);
        assertThat(failures).isNotEmpty().allMatch(e -> e instanceof StdinDisposedException);
        assertThat(failures.get(failures.size() - 1).reachedWorker()).isFalse();
        assertThat(io.stats().queuedFrames()).isZero();
        assertThat(io.write(frame(99, 10))).isCompletedExceptionally();

        // The writer was blocked in a write to a worker that does not read: the kill ends it.
        sink.destroyForcibly();
        assertThat(io.awaitStopped(Duration.ofSeconds(5))).isTrue();
        assertThat(owner.broken.get()).isZero();
    }

    @Test
    void destroyOfAnIdleWriterClosesStdin() throws Exception {
        Process sink = start(TestWorkers.rawNode("sink.mjs"));
        ProcessIO io = wrap(sink, ProcessIO.Settings.defaults());
        io.write(frame(0, 10)).get(5, TimeUnit.SECONDS);
        io.destroy();
        assertThat(io.awaitStopped(Duration.ofSeconds(5))).isTrue();
        assertThat(summary(sink).get("lines").longValue()).isEqualTo(1);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private Process start(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        processes.add(p);
        return p;
    }

    private ProcessIO wrap(Process p, ProcessIO.Settings settings) {
        ProcessIO io = ProcessIO.start("test", 1, "worker 1 (pid " + p.pid() + ")", p.getOutputStream(), settings,
                owner, scheduler);
        ios.add(io);
        return io;
    }

    /** {@code {"seq":n,"pad":"xxx..."}\n}, about {@code size} bytes. */
    private static byte[] frame(int seq, int size) {
        char[] pad = new char[Math.max(0, size - 24)];
        Arrays.fill(pad, 'x');
        return ("{\"seq\":" + seq + ",\"pad\":\"" + new String(pad) + "\"}\n").getBytes(StandardCharsets.UTF_8);
    }

    /** {@code {"seq":n,"pad":"xxx..."}\n} of exactly {@code size} bytes. */
    private static byte[] exactly(int seq, int size) {
        byte[] f = frame(seq, size);
        byte[] g = frame(seq, size + size - f.length);
        assertThat(g).hasSize(size);
        return g;
    }

    /** A frame that records where it ended in the pipe, and which thread wrote it. */
    private static final class RecordingFrame extends CompletableFuture<Long> implements ProcessIO.Frame {
        private final byte[] bytes;
        volatile String thread;

        RecordingFrame(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public byte[] bytes() {
            return bytes;
        }

        @Override
        public void written(long end) {
            thread = Thread.currentThread().getName();
            complete(end);
        }

        @Override
        public void failed(RuntimeException cause) {
            completeExceptionally(cause);
        }
    }

    private static JsonNode summary(Process p) throws Exception {
        BufferedReader reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = reader.readLine();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(line).as("summary line").isNotNull();
        return JSON.readTree(line);
    }

    private static List<StdinWriteException> failures(List<CompletableFuture<Void>> writes) {
        List<StdinWriteException> out = new ArrayList<>();
        for (CompletableFuture<Void> w : writes) {
            if (w.isCompletedExceptionally()) {
                try {
                    w.join();
                } catch (CompletionException e) {
                    out.add((StdinWriteException) e.getCause());
                }
            }
        }
        return out;
    }

    private static final class RecordingOwner implements ProcessIO.Owner {
        final AtomicInteger stalls = new AtomicInteger();
        final AtomicInteger broken = new AtomicInteger();
        final AtomicReference<BrokenPipeException> lastBroken = new AtomicReference<>();
        volatile Runnable onStall = () -> { };

        @Override
        public void stdinStalled(ProcessIO io, Duration blockedFor) {
            stalls.incrementAndGet();
            onStall.run();
        }

        @Override
        public void stdinBroken(ProcessIO io, BrokenPipeException cause) {
            broken.incrementAndGet();
            lastBroken.set(cause);
        }
    }
}
