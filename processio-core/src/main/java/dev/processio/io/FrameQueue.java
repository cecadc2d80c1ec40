package dev.processio.io;

import dev.processio.Backpressure;
import dev.processio.BridgeRejectedException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded queue of one worker's stdin: frames accepted and not yet written, and the batch being
 * written. A frame counts against the limits from the moment it is accepted until it has been
 * handed to the pipe. It tracks, exactly, which frames of the batch may have had bytes handed to
 * the pipe, so that a failure says of each frame whether it may have reached the worker.
 *
 * <h2>The pen</h2>
 * One thread at a time holds the pen: it owns the batch and is the only one that writes to the
 * pipe. The writer thread takes it for each batch ({@link #takeBatch()}). A producer that may
 * write takes it instead ({@link #enqueueOrTakePen}) when the queue is empty, nobody holds it, and
 * the frame fits, with every byte the worker has not yet been seen to read, into
 * {@link #DIRECT_ROOM}; the producer then writes that one frame itself, without waking the writer
 * thread. Whoever took the pen gives it back ({@link #releasePen()}).
 *
 * <p>Why such a write cannot block: a reply to a request proves that the worker has read the
 * request's line, and with it every byte written before it ({@link #consumed(long)} records how
 * far). A Linux pipe holds 64 KiB by default and never less than one page; {@code DIRECT_ROOM} is
 * one page, so the bytes the worker may not have read plus the new frame fit into any pipe whose
 * pages are not fragmented beyond one partly read page. A worker that replies to requests it has
 * not read (it would have to guess their ids) could make a producer's write block; the write
 * timeout then stops it, as it stops a stalled writer thread. That is why the thread that runs the
 * write-timeout check never takes the pen ({@link ProcessIO#newSchedulerThread}).
 *
 * <p>Everything but the volatile counters is guarded by {@link #lock}; {@code batch} is changed
 * structurally only by the pen holder, under the lock, so the pen holder may read it without.
 * Callbacks of frames ({@link ProcessIO.Frame}) run after the lock is let go.
 */
final class FrameQueue {

    private static final int MAX_BATCH_FRAMES = 4096;
    private static final long MAX_BATCH_BYTES = 4L * ProcessIO.CHUNK_SIZE;

    /** Bytes the worker may not have read, new frame included, below which a producer writes the frame itself. */
    static final int DIRECT_ROOM = 4096;

    enum State {
        /** Accepting frames. */
        OPEN,
        /** {@link #close()}: the writer writes what is queued, then closes the pipe. */
        CLOSING,
        /** A write failed; every frame has failed. */
        FAILED,
        /** {@link #dispose()}: every frame not yet written has failed. */
        DISPOSED
    }

    /** The frames a failure ends: those that may have reached the worker, and those that cannot have. */
    record Ended(List<ProcessIO.Frame> reached, List<ProcessIO.Frame> unreached) {
    }

    private final String pool;
    private final String workerLabel;
    private final ProcessIO.Settings settings;

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a frame is queued or the state changes; the writer waits on it. */
    private final Condition queued = lock.newCondition();
    /** Signalled when room is freed or the state changes; blocked producers wait on it. */
    private final Condition room = lock.newCondition();

    private final ArrayDeque<ProcessIO.Frame> queue = new ArrayDeque<>();
    private final ArrayList<ProcessIO.Frame> batch = new ArrayList<>();
    /** Frames batch[0, batchDone) are complete. */
    private int batchDone;
    /** Frames batch[0, batchTouched) may have had bytes handed to the pipe. */
    private int batchTouched;
    /** Whether a thread holds the pen: owns the batch and may write to the pipe. */
    private boolean penHeld;
    /** Bytes of every frame written whole so far: the pipe offset after the last of them. */
    private long completedBytes;
    private State state = State.OPEN;
    /** The error that failed the pipe, once FAILED. */
    private IOException pipeError;
    /** Whether the pipe failed because the worker was killed for a stall. */
    private boolean stalled;

    /** {@code state == OPEN}, readable without the lock. */
    private volatile boolean open = true;
    // Written under the lock, read without it.
    private volatile int queuedFrames;
    private volatile long queuedBytes;
    /**
     * The pipe offset up to which the worker has been seen to read. Written without the lock by
     * the threads that read replies; a lost race leaves it lower than the truth, which only makes
     * the producers' writes rarer.
     */
    private volatile long consumed;

    FrameQueue(String pool, String workerLabel, ProcessIO.Settings settings) {
        this.pool = pool;
        this.workerLabel = workerLabel;
        this.settings = settings;
    }

    boolean isOpen() {
        return open;
    }

    int queuedFrames() {
        return queuedFrames;
    }

    long queuedBytes() {
        return queuedBytes;
    }

    // ---- producers ------------------------------------------------------------------------------

    /**
     * Queues a frame, waiting for room if {@code mayWait}; a frame that is refused hears why at once.
     * When {@code mayWrite}, returns true, without queueing the frame, if the caller has been given
     * the pen with the frame as the whole batch: it must then write the batch and
     * {@link #releasePen()}.
     */
    boolean enqueueOrTakePen(ProcessIO.Frame f, boolean mayWait, boolean mayWrite) {
        RuntimeException refused;
        int length = f.bytes().length;
        lock.lock();
        try {
            refused = admitLocked(length, mayWait);
            if (refused == null) {
                queuedFrames = queuedFrames + 1;
                queuedBytes = queuedBytes + length;
                if (mayWrite && queue.isEmpty() && !penHeld && completedBytes - consumed + length <= DIRECT_ROOM) {
                    penHeld = true;
                    batch.clear();
                    batch.add(f);
                    batchDone = 0;
                    batchTouched = 0;
                    return true;
                }
                queue.addLast(f);
                if (!penHeld) {
                    queued.signal();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            refused = new BridgeRejectedException(pool,
                    "interrupted while waiting for room in the stdin queue of " + workerLabel);
        } finally {
            lock.unlock();
        }
        if (refused != null) {
            f.failed(refused);
        }
        return false;
    }

    /** The worker has read the pipe up to {@code offset} (see {@link ProcessIO.Frame#written(long)}). */
    void consumed(long offset) {
        if (offset > consumed) {
            consumed = offset;
        }
    }

    /** Waits for room as the policy allows; returns why a frame of {@code length} bytes cannot be queued, or null. */
    private RuntimeException admitLocked(int length, boolean mayWait) throws InterruptedException {
        assert lock.isHeldByCurrentThread();
        if (state != State.OPEN) {
            return closedFailure();
        }
        if (hasRoom(length)) {
            return null;
        }
        if (!mayWait) {
            return queueFull(length, false);
        }
        long nanos = settings.enqueueTimeout().toNanos();
        while (!hasRoom(length) && state == State.OPEN) {
            if (nanos <= 0) {
                return queueFull(length, true);
            }
            nanos = room.awaitNanos(nanos);
        }
        return state != State.OPEN ? closedFailure() : null;
    }

    /** A frame larger than the byte limit fits into an empty queue, so that it can never wait forever. */
    private boolean hasRoom(int length) {
        int frames = queuedFrames;
        return frames == 0 || (frames < settings.maxQueuedFrames() && queuedBytes + length <= settings.maxQueuedBytes());
    }

    /** Stops accepting frames; the writer writes what is queued, then closes the pipe. */
    void close() {
        lock.lock();
        try {
            if (state == State.OPEN) {
                state = State.CLOSING;
                open = false;
                queued.signal();
                room.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Fails every frame not yet written; {@code null} when the queue has failed or been disposed of already. */
    Ended dispose() {
        lock.lock();
        try {
            if (state == State.FAILED || state == State.DISPOSED) {
                return null;
            }
            state = State.DISPOSED;
            open = false;
            return endLocked();
        } finally {
            lock.unlock();
        }
    }

    // ---- the writer thread ----------------------------------------------------------------------

    /**
     * Takes the pen and moves queued frames into the batch, waiting for one and for the pen; false
     * when the writer should stop, without the pen. Never returns while a producer holds the pen,
     * so the writer closes the pipe only after the producer's write.
     */
    boolean takeBatch() throws InterruptedException {
        lock.lock();
        try {
            while (penHeld || (queue.isEmpty() && state == State.OPEN)) {
                queued.await();
            }
            if (queue.isEmpty() || state == State.FAILED || state == State.DISPOSED) {
                return false;
            }
            penHeld = true;
            batch.clear();
            batchDone = 0;
            batchTouched = 0;
            long bytes = 0;
            while (!queue.isEmpty() && batch.size() < MAX_BATCH_FRAMES && bytes < MAX_BATCH_BYTES) {
                ProcessIO.Frame f = queue.pollFirst();
                batch.add(f);
                bytes += f.bytes().length;
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives the pen back after writing the batch, or failing to, and wakes the writer thread only if
     * there is something for it to do: a wake-up that finds nothing costs a call as much as a write.
     */
    void releasePen() {
        lock.lock();
        try {
            penHeld = false;
            if (!queue.isEmpty() || state != State.OPEN) {
                queued.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The batch's frames, for the pen holder only. */
    int batchSize() {
        return batch.size();
    }

    byte[] batchBytes(int i) {
        return batch.get(i).bytes();
    }

    /**
     * Marks batch[0, touchedEnd) as possibly on its way to the pipe, before a write that carries
     * their bytes, so that {@link #dispose()} never reports one of them as unwritten. False once
     * the queue has failed or been disposed of: the writer must not write.
     */
    boolean touch(int touchedEnd) {
        lock.lock();
        try {
            if (state == State.FAILED || state == State.DISPOSED) {
                return false;
            }
            batchTouched = touchedEnd;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Frames batch[batchDone, end) have been written whole: free their room and tell them. Returns
     * how many. Frames that {@link #dispose()} failed meanwhile, as possibly reached, hear nothing more.
     */
    int completeUpTo(int end) {
        int start;
        long offset;
        boolean ended;
        lock.lock();
        try {
            start = batchDone;
            offset = completedBytes;
            ended = state == State.FAILED || state == State.DISPOSED;
            if (!ended) {
                long bytes = 0;
                for (int i = start; i < end; i++) {
                    bytes += batch.get(i).bytes().length;
                }
                queuedFrames = queuedFrames - (end - start);
                queuedBytes = queuedBytes - bytes;
                completedBytes = offset + bytes;
                room.signalAll();
            }
            batchDone = end;
        } finally {
            lock.unlock();
        }
        if (!ended) {
            for (int i = start; i < end; i++) {
                ProcessIO.Frame f = batch.get(i);
                offset += f.bytes().length;
                f.written(offset);
            }
        }
        return end - start;
    }

    /** A write failed: no frame is written again. {@code null} if the queue was disposed of first. */
    Ended fail(IOException error, boolean byStall) {
        lock.lock();
        try {
            if (state == State.DISPOSED) {
                return null;
            }
            state = State.FAILED;
            open = false;
            pipeError = error;
            stalled = byStall;
            return endLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Takes every frame not yet complete out of the queue and the batch, resets the depth and wakes everyone. */
    private Ended endLocked() {
        assert lock.isHeldByCurrentThread();
        List<ProcessIO.Frame> reached = new ArrayList<>(batch.subList(batchDone, batchTouched));
        List<ProcessIO.Frame> unreached = new ArrayList<>(batch.subList(batchTouched, batch.size()));
        unreached.addAll(queue);
        queue.clear();
        queuedFrames = 0;
        queuedBytes = 0;
        queued.signal();
        room.signalAll();
        return new Ended(reached, unreached);
    }

    static void failAll(List<ProcessIO.Frame> frames, StdinWriteException cause) {
        for (ProcessIO.Frame f : frames) {
            f.failed(cause);
        }
    }

    // ---- messages -------------------------------------------------------------------------------

    private BridgeRejectedException queueFull(int length, boolean waited) {
        String wait = waited
                ? " after waiting " + settings.enqueueTimeout().toMillis() + " ms (processio.io.enqueue-timeout)"
                : settings.backpressure() == Backpressure.FAIL ? " (processio.io.backpressure=fail)" : "";
        return new BridgeRejectedException(pool, "stdin queue of " + workerLabel + " is full" + wait + ": "
                + queuedFrames + " frames and " + queuedBytes + " bytes queued, limits "
                + settings.maxQueuedFrames() + " frames (processio.io.write-queue-frames) and "
                + settings.maxQueuedBytes() + " bytes (processio.io.write-queue-bytes); a frame of " + length
                + " bytes did not fit. The worker is not keeping up with its input.");
    }

    private StdinWriteException closedFailure() {
        assert lock.isHeldByCurrentThread();
        return switch (state) {
            case CLOSING, DISPOSED -> new StdinDisposedException(pool,
                    "stdin of " + workerLabel + " is closed to new frames", false);
            case FAILED -> stalled
                    ? new StdinStalledException(pool, "stdin of " + workerLabel + " stalled earlier", false, pipeError)
                    : new BrokenPipeException(pool, "stdin of " + workerLabel + " is broken (" + pipeError.getMessage()
                            + "): the worker closed its stdin or exited", false, pipeError);
            case OPEN -> throw new IllegalStateException("open");
        };
    }
}
