package dev.processio.pool;

import dev.processio.WorkerLostException;
import dev.processio.io.CallLookup;
import dev.processio.io.ProcessIO;
import dev.processio.io.StdinWriteException;
import dev.processio.protocol.RpcReply;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import tools.jackson.databind.JavaType;

/**
 * The requests one worker holds, by id: its request correlation. Whoever removes an id reports
 * that request's end, so a request hears {@link Worker.Request#replied} or
 * {@link Worker.Request#failed} at most once. Thread-safe: the map is concurrent, and
 * {@link #processEnded} is set once.
 *
 * <p>It is also the {@link CallLookup} of the worker's stderr lines. stderr and stdout are two
 * pipes read by two threads, so a line a handler printed just before its reply is often read after
 * the reply has ended the call: the last {@value #RECENTLY_ENDED} calls that ended (by id modulo
 * that size) are remembered for such lines. Only from the worker's first tagged line on, so that a
 * worker whose handlers never print costs nothing.
 */
final class HeldRequests implements CallLookup {

    /** How many ended calls are remembered for the stderr lines read after their end; a power of two. */
    static final int RECENTLY_ENDED = 64;

    private static final java.util.concurrent.atomic.AtomicIntegerFieldUpdater<Held> TOLD =
            java.util.concurrent.atomic.AtomicIntegerFieldUpdater.newUpdater(Held.class, "cancelTold");

    private final Map<Long, Held> held = new ConcurrentHashMap<>();
    /** Makes the exception for a request the worker was lost with: (written, cause). */
    private final BiFunction<Boolean, Throwable, WorkerLostException> lost;
    /** Set once by {@link #failWritten}: from then on a frame that finishes writing is lost at once. */
    private volatile boolean processEnded;
    /** Calls that ended, at {@code id & (RECENTLY_ENDED - 1)}; written by whoever ends one. */
    private final AtomicReferenceArray<Call> ended = new AtomicReferenceArray<>(RECENTLY_ENDED);
    /** Set by the stderr thread at the first tagged line: from then on ended calls are remembered. */
    private volatile boolean remember;

    HeldRequests(BiFunction<Boolean, Throwable, WorkerLostException> lost) {
        this.lost = lost;
    }

    /** Holds {@code request}; the returned frame, given to the stdin queue, reports how the write ended. */
    ProcessIO.Frame hold(Worker.Request request) {
        Held h = new Held(request);
        held.put(request.id(), h);
        return h;
    }

    /**
     * The reply to a held request: tells {@code stdin} how far the worker has read, reports the reply
     * and returns true; or returns false when nobody holds the id (late).
     */
    boolean replied(RpcReply reply, ProcessIO stdin) {
        Held h = held.remove(reply.id());
        if (h == null) {
            return false;
        }
        ended(h.request);
        if (h.written) {
            stdin.consumed(h.end);
        }
        h.request.replied(reply);
        return true;
    }

    /** What the result of {@code id} is read into; {@code null} when nobody waits for it. */
    JavaType resultType(long id) {
        Held h = held.get(id);
        return h == null ? null : h.request.resultType();
    }

    /** Marks a held request as cancelled by its caller: true once, while it is held. */
    boolean markCancelled(long id) {
        Held h = held.get(id);
        return h != null && TOLD.compareAndSet(h, 0, 1);
    }

    /** Hands a progress value to the held request {@code id}; returns whether one held took it. */
    boolean progress(long id, tools.jackson.databind.JsonNode value) {
        Held h = held.get(id);
        return h != null && h.request.progress(value);
    }

    /** Takes a request back without reporting its end; returns whether it was still held. */
    boolean remove(long id) {
        Held h = held.remove(id);
        if (h == null) {
            return false;
        }
        ended(h.request);
        return true;
    }

    /** The call a stderr line names: held, or among the last ones that ended; on the stderr thread. */
    @Override
    public Call find(long id) {
        if (!remember) {
            remember = true;
        }
        Held h = held.get(id);
        if (h != null) {
            return callOf(h.request);
        }
        Call c = ended.get((int) id & (RECENTLY_ENDED - 1));
        return c != null && c.id() == id ? c : null;
    }

    /** A request as its stderr lines are logged with it: calls only, as nothing else runs a handler. */
    private static Call callOf(Worker.Request request) {
        return request instanceof PoolCall call ? new Call(call.id, call.method, call.traceparent()) : null;
    }

    private void ended(Worker.Request request) {
        if (remember) {
            Call c = callOf(request);
            if (c != null) {
                ended.set((int) c.id() & (RECENTLY_ENDED - 1), c);
            }
        }
    }

    void forEach(Consumer<Worker.Request> action) {
        for (Held h : held.values()) {
            action.accept(h.request);
        }
    }

    int size() {
        return held.size();
    }

    /**
     * The process has ended: every request whose frame was written is lost. The others are failed
     * by their write, which the stdin queue fails as unsent once it is destroyed.
     */
    void failWritten() {
        processEnded = true;
        for (Held h : new ArrayList<>(held.values())) {
            if (h.written && held.remove(h.request.id(), h)) {
                ended(h.request);
                h.request.failed(lost.apply(true, null));
            }
        }
    }

    /** A held request, and the write of its frame. */
    private final class Held implements ProcessIO.Frame {
        final Worker.Request request;
        /** The pipe offset after the frame's last byte once written whole, else 0; set by the thread that wrote it. */
        long end;
        /** Whether every byte of the frame has been handed to the pipe; set by the thread that wrote it, after {@code end}. */
        volatile boolean written;
        /** 1 once the worker has been told that the caller cancelled it. */
        volatile int cancelTold;

        Held(Worker.Request request) {
            this.request = request;
        }

        @Override
        public byte[] bytes() {
            return request.frame();
        }

        @Override
        public void written(long end) {
            this.end = end;
            written = true;
            if (processEnded && held.remove(request.id(), this)) {
                // Written, but the process ended before failWritten() could see it as written.
                ended(request);
                request.failed(lost.apply(true, null));
            }
        }

        @Override
        public void failed(RuntimeException cause) {
            if (held.remove(request.id(), this)) {
                ended(request);
                // A full queue (BridgeRejectedException) never reached the pipe either.
                request.failed(cause instanceof StdinWriteException failed && failed.reachedWorker()
                        ? lost.apply(true, failed) : cause);
            }
        }
    }
}
