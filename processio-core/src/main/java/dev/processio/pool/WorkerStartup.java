package dev.processio.pool;

import dev.processio.BridgeStartupException;
import dev.processio.BridgeStartupException.Reason;
import dev.processio.InitMessage;
import dev.processio.ServerInfo;
import dev.processio.protocol.RpcCodec;
import dev.processio.protocol.RpcError;
import dev.processio.protocol.RpcReply;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;

/**
 * The start-up of one worker, step by step: the dialect's handshake ({@link WorkerProtocol#handshake}),
 * then each init call, which must answer with a result, then the init notifications. Each step is
 * sent when the one before it has ended: on the worker's stdout thread (an answer), the thread
 * that launched the worker (the first step), or the pool's scheduler thread (a step that timed
 * out). A step's frame is offered to the stdin queue without waiting; the queue holds at most a
 * few answers to the worker's own requests at that point, so a full one means a worker that does
 * not read, and fails the start-up.
 *
 * <p>{@link #step} names the step in progress, for the start-up timeout's message. Thread-safe:
 * the steps follow one another, and what they share is volatile or in futures.
 */
final class WorkerStartup {

    private final Worker worker;
    private final WorkerProtocol protocol;
    private final RpcCodec codec;
    private final LongSupplier ids;
    private final ScheduledExecutorService scheduler;
    private final List<InitMessage> initCalls;
    private final List<InitMessage> initNotifications;
    private final JavaType tree;
    private final CompletableFuture<JsonNode> readyNotice = new CompletableFuture<>();
    /** The step in progress, for messages. */
    private volatile String step = "start-up";

    WorkerStartup(Worker worker, WorkerProtocol protocol, ScheduledExecutorService scheduler) {
        this.worker = worker;
        this.protocol = protocol;
        this.codec = protocol.codec;
        this.ids = protocol.ids;
        this.scheduler = scheduler;
        this.initCalls = protocol.initCalls;
        this.initNotifications = protocol.initNotifications;
        this.tree = codec.mapper().constructType(JsonNode.class);
    }

    /** Runs every step; completes with the worker's server info, or fails with a {@link BridgeStartupException}. */
    CompletableFuture<ServerInfo> run() {
        CompletableFuture<ServerInfo> handshake = protocol.handshake(this);
        CompletableFuture<ServerInfo> done = handshake;
        for (int i = 0; i < initCalls.size(); i++) {
            InitMessage m = initCalls.get(i);
            String name = "init-calls[" + i + "] (" + m.method() + ")";
            done = done.thenCompose(info -> call(name, m.method(), m.params(), 0, false).thenApply(result -> info));
        }
        return done.thenApply(info -> {
            protocol.started(this, info);
            for (int i = 0; i < initNotifications.size(); i++) {
                InitMessage m = initNotifications.get(i);
                step = "init-notifications[" + i + "] (" + m.method() + ")";
                worker.notify(m.method(), m.params());
            }
            step = "ready";
            return info;
        });
    }

    Worker worker() {
        return worker;
    }

    /** The step in progress. */
    String step() {
        return step;
    }

    /** Completes with the params of the worker's {@code processio/ready}. */
    CompletableFuture<JsonNode> readyNotice() {
        step = "processio/ready";
        return readyNotice;
    }

    /** The worker sent {@code processio/ready}. */
    void readyNotified(JsonNode params) {
        readyNotice.complete(params);
    }

    /**
     * Sends one start-up request. Completes with its result; fails with a {@link BridgeStartupException}
     * naming {@code name} when it answers with an error, or with {@link StepTimedOut} when
     * {@code timeoutMillis} is positive and no answer came in that time (the request is then
     * forgotten, so a late answer is dropped).
     *
     * @param anyAnswer whether an error answer counts as an answer (a probe only asks for life)
     */
    CompletableFuture<JsonNode> call(String name, String method, Object params, long timeoutMillis,
            boolean anyAnswer) {
        step = name;
        long id = ids.getAsLong();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        StartupRequest request = new StartupRequest(id, codec.request(id, method, params), tree, name, answer,
                anyAnswer);
        if (timeoutMillis > 0) {
            scheduler.schedule(() -> {
                if (worker.forget(id)) {
                    answer.completeExceptionally(new StepTimedOut(name, timeoutMillis));
                }
            }, timeoutMillis, TimeUnit.MILLISECONDS);
        }
        worker.send(request, false);
        return answer;
    }

    /** A start-up step's failure, as the worker's start-up failure. */
    BridgeStartupException failed(String name, String message) {
        return new BridgeStartupException(protocol.pool, Reason.INIT_FAILED,
                worker.label() + ": start-up step " + name + " failed: " + message
                        + WorkerFailures.tailSuffix(worker.stderrTail()),
                name, null, worker.stderrTail(), null);
    }

    /** The cause of a failed future, unwrapped. */
    static Throwable cause(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    /** A start-up request that got no answer in its own time limit. */
    static final class StepTimedOut extends RuntimeException {

        StepTimedOut(String step, long millis) {
            super(step + " got no answer within " + millis + " ms", null, false, false);
        }
    }

    /** One start-up request, held by the worker like a call. */
    private final class StartupRequest implements Worker.Request {

        private final long id;
        private final byte[] frame;
        private final JavaType type;
        private final String name;
        private final CompletableFuture<JsonNode> answer;
        private final boolean anyAnswer;

        StartupRequest(long id, byte[] frame, JavaType type, String name, CompletableFuture<JsonNode> answer,
                boolean anyAnswer) {
            this.id = id;
            this.frame = frame;
            this.type = type;
            this.name = name;
            this.answer = answer;
            this.anyAnswer = anyAnswer;
        }

        @Override
        public long id() {
            return id;
        }

        @Override
        public byte[] frame() {
            return frame;
        }

        @Override
        public JavaType resultType() {
            return type;
        }

        @Override
        public void replied(RpcReply reply) {
            RpcError error = reply.error();
            if (error != null && !anyAnswer) {
                answer.completeExceptionally(new StepRefused(WorkerStartup.this.failed(name, "the worker answered with error "
                        + error.code() + " " + error.message()), error));
            } else if (reply.unreadable() != null) {
                answer.completeExceptionally(WorkerStartup.this.failed(name, "its result could not be read: " + reply.unreadable()));
            } else {
                answer.complete(error != null ? null : (JsonNode) reply.result());
            }
        }

        @Override
        public void failed(RuntimeException cause) {
            // The worker died or its stdin broke: its exit fails the start-up with the facts.
            answer.completeExceptionally(cause);
        }
    }

    /** A step answered with an error: the start-up failure, and the error, for a dialect that falls back. */
    static final class StepRefused extends RuntimeException {

        final transient BridgeStartupException failure;
        final transient RpcError error;

        StepRefused(BridgeStartupException failure, RpcError error) {
            super(failure.getMessage(), null, false, false);
            this.failure = failure;
            this.error = error;
        }
    }
}
