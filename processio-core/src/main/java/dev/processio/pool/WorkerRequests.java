package dev.processio.pool;

import dev.processio.ServerRequestHandler;
import dev.processio.protocol.JsonRpc;
import dev.processio.protocol.RpcCodec;
import dev.processio.protocol.RpcRequest;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the requests a worker sends to the host (MCP's {@code roots/list},
 * {@code sampling/createMessage}, ...): those of the dialect itself (MCP {@code ping}) at once,
 * the others with the application's {@link ServerRequestHandler}, or
 * with -32601 when there is none or it does not serve the method, so that the worker never waits
 * for an answer that will not come. Every request gets exactly one answer.
 *
 * <p>At most {@value #MAX_OPEN} requests of one worker are open (handled, but not answered yet)
 * at once; more are answered with -32603 at once, so that a worker that floods the host with
 * requests cannot make it start unbounded work.
 *
 * <p>Called on the worker's stdout thread; an answer from a {@link CompletionStage} is written from
 * the thread that completes it. The answer is offered to the stdin queue without waiting: when the
 * queue is full the answer is dropped and logged, since a worker that does not read its stdin is
 * replaced by the write timeout anyway.
 */
final class WorkerRequests {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerRequests.class);

    private final Worker worker;
    private final RpcCodec codec;
    private final ServerRequestHandler handler;
    private final WorkerProtocol protocol;
    /** Requests handed to the handler and not answered yet. */
    private final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();

    /** The most requests of one worker that wait for the handler's answer at once. */
    static final int MAX_OPEN = 64;

    WorkerRequests(Worker worker, RpcCodec codec, WorkerProtocol protocol) {
        this.worker = worker;
        this.codec = codec;
        this.protocol = protocol;
        this.handler = protocol.handler;
    }

    void answer(RpcRequest request) {
        LOG.debug("[{}] {} sent request {} (id {})", worker.pool(), worker.label(), request.method(), request.id());
        Object own = protocol.ownAnswer(request.method());
        if (own != ServerRequestHandler.NOT_HANDLED || handler == null) {
            reply(request, own);
            return;
        }
        if (open.incrementAndGet() > MAX_OPEN) {
            open.decrementAndGet();
            send(request, () -> codec.errorReply(request.id(), JsonRpc.INTERNAL_ERROR, "the host is busy: "
                    + MAX_OPEN + " requests of this worker wait for an answer already"));
            return;
        }
        Object result;
        try {
            result = handler.handle(worker.pool(), request.method(), request.params());
        } catch (VirtualMachineError e) {
            open.decrementAndGet();
            throw e;
        } catch (Throwable e) {
            // Any other error of the handler is its own: the stdout thread must go on reading.
            open.decrementAndGet();
            failed(request, e);
            return;
        }
        if (result instanceof CompletionStage<?> stage) {
            stage.whenComplete((value, error) -> {
                open.decrementAndGet();
                if (error != null) {
                    failed(request, WorkerStartup.cause(error));
                } else {
                    reply(request, value);
                }
            });
        } else {
            open.decrementAndGet();
            reply(request, result);
        }
    }

    /** Answers with {@code result}, or with -32601 when it is {@link ServerRequestHandler#NOT_HANDLED}. */
    private void reply(RpcRequest request, Object result) {
        send(request, () -> result == ServerRequestHandler.NOT_HANDLED
                ? codec.errorReply(request.id(), JsonRpc.METHOD_NOT_FOUND,
                        "method not found: the host does not serve " + request.method())
                : codec.reply(request.id(), result));
    }

    private void failed(RpcRequest request, Throwable e) {
        LOG.warn("[{}] the handler of {}'s request {} failed", worker.pool(), worker.label(), request.method(), e);
        String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getName();
        send(request, () -> codec.errorReply(request.id(), JsonRpc.INTERNAL_ERROR,
                "the host failed to answer " + request.method() + ": " + reason));
    }

    private void send(RpcRequest request, java.util.function.Supplier<byte[]> frame) {
        byte[] bytes;
        try {
            bytes = frame.get();
        } catch (RuntimeException e) {
            // The handler's result cannot be written as JSON, or is too large.
            LOG.warn("[{}] the answer to {}'s request {} cannot be written", worker.pool(), worker.label(),
                    request.method(), e);
            bytes = codec.errorReply(request.id(), JsonRpc.INTERNAL_ERROR,
                    "the host's answer to " + request.method() + " cannot be written: " + e.getMessage());
        }
        if (bytes.length > worker.maxFrameSize()) {
            bytes = codec.errorReply(request.id(), JsonRpc.INTERNAL_ERROR, "the host's answer to " + request.method()
                    + " is larger than the frame size limit (processio.io.max-frame-size)");
        }
        try {
            worker.offer(bytes);
        } catch (RuntimeException e) {
            LOG.warn("[{}] the answer to {}'s request {} was not sent: {}", worker.pool(), worker.label(),
                    request.method(), e.toString());
        }
    }
}
