package dev.processio.io;

import dev.processio.Backpressure;
import dev.processio.BridgeRejectedException;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The stdin write path of one worker process: a bounded queue of frames and the one thread that
 * writes them to the pipe.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #write(byte[])} accepts a whole frame and returns a future that completes when every
 *       byte of it has been handed to the OS pipe, or fails with a {@link StdinWriteException} whose
 *       {@link StdinWriteException#reachedWorker() reachedWorker()} says whether any byte of it may
 *       have reached the worker.</li>
 *   <li>Frames are written in the order they were accepted, each exactly once. After an error the
 *       pipe is never written again: the frame being written and every frame behind it fail with
 *       the same cause.</li>
 *   <li>Thread-safe: {@code write}, {@link #close()}, {@link #destroy()} and the accessors may be
 *       called from any thread.</li>
 * </ul>
 *
 * <h2>Queue limits</h2>
 * The queue is bounded by frames and by bytes ({@link Settings}). A frame counts against the limits
 * from the moment it is accepted until it has been handed to the pipe, so the limits bound the
 * memory held for a worker that reads slowly. A frame larger than the byte limit is accepted when
 * the queue is empty, so that it can never wait forever. When the queue is full the
 * {@link Backpressure} policy applies: {@code BLOCK} waits up to the enqueue timeout, {@code FAIL}
 * fails at once; either way the failure is a {@link BridgeRejectedException}. {@link #stats()}
 * shows the depth.
 *
 * <h2>Drain waits and stalls</h2>
 * The writer coalesces queued frames into writes of at most {@value #CHUNK_SIZE} bytes, the
 * default capacity of a Linux pipe. A write that fits into a pipe with room returns in
 * microseconds; one that takes longer than {@link #DRAIN_WAIT_THRESHOLD} waited for the worker to
 * drain the pipe, and is counted as a drain wait together with its duration. A single write that
 * stays blocked longer than the write timeout means that the worker stopped reading: the owner is
 * told once ({@link Owner#stdinStalled}) and is expected to kill the worker, which makes the write
 * fail and unblocks the writer. Keeping writes at pipe size is also what makes the timeout mean
 * "no progress" rather than "a large frame".
 *
 * <h2>Threads</h2>
 * Writes to the pipe are made by whichever thread holds the queue's pen (see {@link FrameQueue}):
 * the writer thread, {@code processio-<pool>-w<slot>-stdin}, for what is queued, or a thread that
 * calls {@code write} when the queue is empty and the frame is small enough, with what the worker
 * has not yet read, to fit into the pipe at once. That thread writes its frame itself and returns,
 * which saves waking the writer thread. The scheduler's thread that runs the write-timeout check
 * never does ({@link #newSchedulerThread}), since nothing would end a write of its own that blocked. {@link #consumed(long)} tells the
 * queue how far the worker has read. Only the writer thread closes the stream, and only once no
 * other thread holds the pen. The counters here are written by the pen holder only and read
 * through volatile fields; {@code stallReported} is written by the watchdog only.
 */
public final class ProcessIO {

    /** Largest single write handed to the pipe, in bytes. */
    public static final int CHUNK_SIZE = 64 * 1024;

    /** A write that blocks longer than this waited for the pipe to drain. */
    public static final Duration DRAIN_WAIT_THRESHOLD = Duration.ofMillis(1);

    private static final long DRAIN_WAIT_THRESHOLD_NANOS = DRAIN_WAIT_THRESHOLD.toNanos();

    /**
     * Limits and timeouts of one stdin write path.
     *
     * @param maxQueuedFrames frames accepted but not yet written, at most
     * @param maxQueuedBytes bytes accepted but not yet written, at most
     * @param backpressure what {@code write} does when the queue is full
     * @param enqueueTimeout how long {@code write} waits for room under {@link Backpressure#BLOCK}
     * @param writeTimeout how long one write to the pipe may stay blocked before the worker counts as stalled
     */
    public record Settings(int maxQueuedFrames, long maxQueuedBytes, Backpressure backpressure,
            Duration enqueueTimeout, Duration writeTimeout) {

        public Settings {
            if (maxQueuedFrames < 1) {
                throw new IllegalArgumentException("maxQueuedFrames must be at least 1, was " + maxQueuedFrames);
            }
            if (maxQueuedBytes < 1) {
                throw new IllegalArgumentException("maxQueuedBytes must be at least 1, was " + maxQueuedBytes);
            }
            Objects.requireNonNull(backpressure, "backpressure");
            if (enqueueTimeout.isNegative()) {
                throw new IllegalArgumentException("enqueueTimeout must not be negative, was " + enqueueTimeout);
            }
            if (writeTimeout.isNegative() || writeTimeout.isZero()) {
                throw new IllegalArgumentException("writeTimeout must be positive, was " + writeTimeout);
            }
        }

        /** The defaults: 1024 frames, 64 MiB, block for up to 5 s, write timeout 10 s. */
        public static Settings defaults() {
            return new Settings(1024, 64L << 20, Backpressure.BLOCK, Duration.ofSeconds(5), Duration.ofSeconds(10));
        }
    }

    /**
     * Told about the faults of the pipe; called at most once each, without a lock of this object
     * held: a stall from the watchdog's scheduler, a broken pipe from the thread whose write failed
     * (the writer thread, or one that wrote its own frame).
     */
    public interface Owner {

        /** A write has been blocked for {@code blockedFor}, longer than the write timeout. Kill the worker. */
        void stdinStalled(ProcessIO io, Duration blockedFor);

        /** The pipe broke (EPIPE or another I/O error) without being killed for a stall. */
        void stdinBroken(ProcessIO io, BrokenPipeException cause);
    }

    /** Counters and queue depth at one moment. */
    public record Stats(int queuedFrames, long queuedBytes, long framesWritten, long bytesWritten,
            long drainWaits, Duration drainTime, long epipeCount) {
    }

    /**
     * One frame to write and the party that hears how its write ended: exactly one of
     * {@link #written(long)} and {@link #failed} is called, once, without any lock of this object
     * held. {@code written} runs on the thread that wrote the frame: the writer thread, or the one
     * that called {@link #write(Frame)} or {@link #offer(Frame)}; {@code failed} on either of those,
     * or on the one that called {@link #destroy()}. Both must be quick and must not block.
     */
    public interface Frame {

        /** The whole frame, newline included. Read by the thread that writes it; must not change. */
        byte[] bytes();

        /**
         * Every byte of the frame has been handed to the pipe.
         *
         * @param end the pipe offset just after the frame's last byte: the bytes handed to this
         *        pipe so far, this frame's included. Once the worker has answered the frame,
         *        {@link ProcessIO#consumed(long) consumed(end)} may say so.
         */
        void written(long end);

        /**
         * The frame was not written whole: a {@link StdinWriteException}, whose
         * {@link StdinWriteException#reachedWorker() reachedWorker()} says whether any byte of it may
         * have reached the worker, or a {@link BridgeRejectedException} when the queue had no room.
         */
        void failed(RuntimeException cause);
    }

    /** A frame that completes a future: for callers that want one. */
    private static final class FutureFrame extends CompletableFuture<Void> implements Frame {
        private final byte[] bytes;

        FutureFrame(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public byte[] bytes() {
            return bytes;
        }

        @Override
        public void written(long end) {
            complete(null);
        }

        @Override
        public void failed(RuntimeException cause) {
            completeExceptionally(cause);
        }
    }

    private final String pool;
    private final String workerLabel;
    private final OutputStream stdin;
    private final Settings settings;
    private final Owner owner;
    private final long writeTimeoutNanos;
    private final FrameQueue queue;
    private final Thread writer;
    private volatile ScheduledFuture<?> watchdog;

    // Written by the pen holder only.
    private volatile long framesWritten;
    private volatile long bytesWritten;
    private volatile long drainWaits;
    private volatile long drainNanos;
    private volatile long epipeCount;
    private volatile long writeStartedAt;
    private volatile boolean writing;

    // Written by the watchdog only.
    private volatile boolean stallReported;

    private ProcessIO(String pool, int slot, String workerLabel, OutputStream stdin, Settings settings, Owner owner) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.workerLabel = Objects.requireNonNull(workerLabel, "workerLabel");
        this.stdin = Objects.requireNonNull(stdin, "stdin");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.owner = Objects.requireNonNull(owner, "owner");
        this.writeTimeoutNanos = settings.writeTimeout().toNanos();
        this.queue = new FrameQueue(pool, workerLabel, settings);
        this.writer = new Thread(this::runWriter, "processio-" + pool + "-w" + slot + "-stdin");
        this.writer.setDaemon(true);
    }

    /**
     * Wraps {@code stdin} and starts its writer thread.
     *
     * @param pool the pool name, used in thread names and messages
     * @param slot the worker's slot number, used in the thread name
     * @param workerLabel how messages name the worker, for example {@code worker 2 (pid 4242)}
     * @param stdin the worker's stdin; from now on only this object uses it
     * @param scheduler runs the write-timeout check; it must outlive this object, and its threads
     *        should come from {@link #newSchedulerThread}
     */
    public static ProcessIO start(String pool, int slot, String workerLabel, OutputStream stdin, Settings settings,
            Owner owner, ScheduledExecutorService scheduler) {
        ProcessIO io = new ProcessIO(pool, slot, workerLabel, stdin, settings, owner);
        io.writer.start();
        long period = Math.max(5, Math.min(1000, settings.writeTimeout().toMillis() / 4));
        io.watchdog = scheduler.scheduleWithFixedDelay(io::checkStall, period, period, TimeUnit.MILLISECONDS);
        return io;
    }

    /**
     * Queues one frame, waiting for room under {@link Backpressure#BLOCK}; {@code frame} hears how
     * its write ended (see {@link Frame}). Never throws for a full queue or a broken pipe.
     */
    public void write(Frame frame) {
        if (queue.enqueueOrTakePen(frame, settings.backpressure() == Backpressure.BLOCK, mayWrite())) {
            writeWithPen();
        }
    }

    /**
     * Like {@link #write(Frame)}, but never waits for room, whatever the backpressure policy: for
     * threads that must not block, and housekeeping frames (cancel, ping).
     */
    public void offer(Frame frame) {
        if (queue.enqueueOrTakePen(frame, false, mayWrite())) {
            writeWithPen();
        }
    }

    /**
     * Makes a thread for the scheduler that {@link #start} is given: a thread that never writes a
     * frame itself, but leaves it to the writer thread, since nothing would end a write of its own
     * that blocked. A scheduler whose threads come from elsewhere must never call {@code write} or
     * {@code offer}.
     */
    public static Thread newSchedulerThread(Runnable task, String name) {
        Thread t = new SchedulerThread(task, name);
        t.setDaemon(true);
        return t;
    }

    private static final class SchedulerThread extends Thread {
        SchedulerThread(Runnable task, String name) {
            super(task, name);
        }
    }

    /** Whether the calling thread may write a frame itself: any thread but a scheduler's. */
    private static boolean mayWrite() {
        return !(Thread.currentThread() instanceof SchedulerThread);
    }

    /**
     * The worker has read everything up to pipe offset {@code end}: it answered a frame that ended
     * there (see {@link Frame#written(long)}). Lets later small frames be written by their callers.
     */
    public void consumed(long end) {
        queue.consumed(end);
    }

    /**
     * Queues one frame; the future completes when the whole frame has been handed to the pipe, or
     * fails as {@link Frame#failed} describes.
     */
    public CompletableFuture<Void> write(byte[] frame) {
        FutureFrame f = new FutureFrame(frame);
        write(f);
        return f;
    }

    /** Like {@link #write(byte[])}, but never waits for room. */
    public CompletableFuture<Void> offer(byte[] frame) {
        FutureFrame f = new FutureFrame(frame);
        offer(f);
        return f;
    }

    /**
     * Stops accepting frames, lets the writer write what is queued, then closes stdin so that the
     * worker reads end of file. Returns at once. Idempotent.
     */
    public void close() {
        queue.close();
    }

    /**
     * Fails every frame not yet written with {@link StdinDisposedException} and makes the writer
     * close stdin and stop. Returns at once; idempotent and safe from any thread.
     *
     * <p>A writer blocked in a write to a worker that does not read stays blocked until the worker
     * reads or dies: no Java API can interrupt that write. The owner kills such a worker; the write
     * then fails and the thread ends. {@link #awaitStopped(Duration)} waits for that.
     */
    public void destroy() {
        FrameQueue.Ended ended = queue.dispose();
        if (ended == null) {
            return;
        }
        cancelWatchdog();
        if (stallReported) {
            // The worker stalled and was killed for it; its exit may end the queue before the
            // blocked write fails: the frames fail for the reason the worker was stopped.
            failStalled(ended, null);
            return;
        }
        String message = "stdin of " + workerLabel + " was disposed of before the frame was written";
        FrameQueue.failAll(ended.reached(), new StdinDisposedException(pool, message, true));
        FrameQueue.failAll(ended.unreached(), new StdinDisposedException(pool, message, false));
    }

    /** Waits for the writer thread to end. Returns whether it has ended. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        writer.join(Math.max(1, timeout.toMillis()));
        return !writer.isAlive();
    }

    /** Whether this path still accepts frames. A cheap volatile read, for choosing a worker. */
    public boolean isOpen() {
        return queue.isOpen();
    }

    public Stats stats() {
        return new Stats(queue.queuedFrames(), queue.queuedBytes(), framesWritten, bytesWritten, drainWaits,
                Duration.ofNanos(drainNanos), epipeCount);
    }

    public int queuedFrames() {
        return queue.queuedFrames();
    }

    public long queuedBytes() {
        return queue.queuedBytes();
    }

    public long drainWaits() {
        return drainWaits;
    }

    public long drainNanos() {
        return drainNanos;
    }

    public long epipeCount() {
        return epipeCount;
    }

    public long framesWritten() {
        return framesWritten;
    }

    public long bytesWritten() {
        return bytesWritten;
    }

    // ---- the pen holder: a caller, or the writer thread -----------------------------------------

    /** Writes the one-frame batch that the calling thread took the pen for. */
    private void writeWithPen() {
        try {
            writeBatch(null);
        } finally {
            queue.releasePen();
        }
    }

    private void runWriter() {
        byte[] buffer = new byte[CHUNK_SIZE];
        try {
            while (queue.takeBatch()) {
                boolean ok;
                try {
                    ok = writeBatch(buffer);
                } finally {
                    queue.releasePen();
                }
                if (!ok) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            destroy();
        } finally {
            cancelWatchdog();
            try {
                stdin.close();
            } catch (IOException ignored) {
                // The worker is gone or going; there is nothing left to flush.
            }
        }
    }

    /**
     * Writes the batch: a batch of one frame straight from its bytes, in pipe-sized slices; a larger
     * one coalescing small frames into {@code buffer} and writing large ones in slices.
     */
    private boolean writeBatch(byte[] buffer) {
        int count = queue.batchSize();
        if (count == 1) {
            byte[] bytes = queue.batchBytes(0);
            for (int off = 0; off < bytes.length; off += CHUNK_SIZE) {
                if (!writeToPipe(bytes, off, Math.min(CHUNK_SIZE, bytes.length - off), 1)) {
                    return false;
                }
            }
            completeUpTo(1);
            return true;
        }
        int fill = 0;
        for (int i = 0; i < count; i++) {
            byte[] bytes = queue.batchBytes(i);
            if (bytes.length >= CHUNK_SIZE) {
                if (fill > 0) {
                    if (!writeToPipe(buffer, 0, fill, i)) {
                        return false;
                    }
                    completeUpTo(i);
                    fill = 0;
                }
                for (int off = 0; off < bytes.length; off += CHUNK_SIZE) {
                    if (!writeToPipe(bytes, off, Math.min(CHUNK_SIZE, bytes.length - off), i + 1)) {
                        return false;
                    }
                }
                completeUpTo(i + 1);
            } else {
                if (fill + bytes.length > CHUNK_SIZE) {
                    if (!writeToPipe(buffer, 0, fill, i)) {
                        return false;
                    }
                    completeUpTo(i);
                    fill = 0;
                }
                System.arraycopy(bytes, 0, buffer, fill, bytes.length);
                fill += bytes.length;
            }
        }
        if (fill > 0) {
            if (!writeToPipe(buffer, 0, fill, count)) {
                return false;
            }
            completeUpTo(count);
        }
        return true;
    }

    /** One write to the pipe, carrying bytes of frames up to {@code batch[touchedEnd - 1]}. */
    private boolean writeToPipe(byte[] bytes, int off, int len, int touchedEnd) {
        if (!queue.touch(touchedEnd)) {
            return false;
        }
        long start = System.nanoTime();
        writeStartedAt = start;
        writing = true;
        try {
            stdin.write(bytes, off, len);
            stdin.flush();
        } catch (IOException e) {
            writing = false;
            writeFailed(e);
            return false;
        }
        writing = false;
        long took = System.nanoTime() - start;
        bytesWritten = bytesWritten + len;
        if (took >= DRAIN_WAIT_THRESHOLD_NANOS) {
            drainWaits = drainWaits + 1;
            drainNanos = drainNanos + took;
        }
        return true;
    }

    private void completeUpTo(int end) {
        framesWritten = framesWritten + queue.completeUpTo(end);
    }

    private void writeFailed(IOException error) {
        boolean stalled = stallReported;
        FrameQueue.Ended ended = queue.fail(error, stalled);
        if (ended == null) {
            return;
        }
        if (stalled) {
            failStalled(ended, error);
            return;
        }
        epipeCount = epipeCount + 1;
        String message = "stdin of " + workerLabel + " is broken (" + error.getMessage()
                + "): the worker closed its stdin or exited";
        BrokenPipeException first = new BrokenPipeException(pool, message, true, error);
        // The owner hears first, so that it stops choosing this worker before the failed frames
        // are handed back to it for sending elsewhere.
        owner.stdinBroken(this, first);
        FrameQueue.failAll(ended.reached(), first);
        FrameQueue.failAll(ended.unreached(), new BrokenPipeException(pool, message, false, error));
    }

    /** Fails the frames of a worker that was stopped for stalling, whichever thread ends the queue. */
    private void failStalled(FrameQueue.Ended ended, IOException error) {
        String message = "stdin of " + workerLabel + " stalled: a write stayed blocked longer than the write timeout ("
                + settings.writeTimeout().toMillis() + " ms, processio.io.write-timeout), so the worker was stopped";
        FrameQueue.failAll(ended.reached(), new StdinStalledException(pool, message, true, error));
        FrameQueue.failAll(ended.unreached(), new StdinStalledException(pool, message, false, error));
    }

    // ---- watchdog ----------------------------------------------------------------------------

    private void checkStall() {
        if (!writing || stallReported) {
            return;
        }
        long blocked = System.nanoTime() - writeStartedAt;
        if (blocked >= writeTimeoutNanos && writing) {
            stallReported = true;
            owner.stdinStalled(this, Duration.ofNanos(blocked));
        }
    }

    private void cancelWatchdog() {
        ScheduledFuture<?> w = watchdog;
        if (w != null) {
            w.cancel(false);
        }
    }
}
