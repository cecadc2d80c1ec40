package dev.processio.pool;

import dev.processio.io.LineReader;
import dev.processio.protocol.JsonRpc;
import dev.processio.protocol.MalformedFrameException;
import dev.processio.protocol.RpcCodec;
import dev.processio.protocol.RpcMessage;
import dev.processio.protocol.RpcNotification;
import dev.processio.protocol.RpcReply;
import dev.processio.protocol.RpcRequest;
import dev.processio.protocol.StrayLine;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JavaType;

/**
 * What a worker writes on stdout, line by line: replies go to the requests it holds, a reply for
 * an id nobody holds is late, {@code processio/ready} completes its start-up (processio dialect),
 * a server's own notifications are counted and logged at DEBUG, its requests are answered
 * ({@link WorkerRequests}; a corrupt frame in the processio dialect), a line that is not a
 * protocol message is counted as stray, and a corrupt or oversized frame is a fault of the worker.
 *
 * <p>Only used by the worker's stdout thread, which owns the decoder. No frame, however bad, ends
 * that thread: a worker whose stdout nobody reads would hang.
 */
final class WorkerStdout implements LineReader.Sink, RpcCodec.ResultTypes {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerStdout.class);

    private final Worker worker;
    private final HeldRequests held;
    private final RpcCodec.Decoder decoder;
    private final WorkerProtocol protocol;
    private final WorkerRequests requests;

    WorkerStdout(Worker worker, RpcCodec codec) {
        this.worker = worker;
        this.held = worker.held();
        this.decoder = codec.decoder();
        this.protocol = worker.protocol();
        this.requests = new WorkerRequests(worker, codec, protocol);
    }

    @Override
    public void line(byte[] bytes, int offset, int length) {
        try {
            handle(bytes, offset, length);
        } catch (RuntimeException e) {
            LOG.error("[{}] {}: failed to handle a stdout frame", worker.pool(), worker.label(), e);
            worker.fault(WorkerFault.Kind.PROTOCOL, "a stdout frame could not be handled: " + e, e);
        }
    }

    private void handle(byte[] bytes, int offset, int length) {
        RpcMessage message;
        try {
            message = decoder.decode(bytes, offset, length, this);
        } catch (MalformedFrameException e) {
            worker.listener().protocolError(worker, e.kind());
            worker.fault(WorkerFault.Kind.PROTOCOL, "it wrote a corrupt frame on stdout (" + e.getMessage() + "): "
                    + RpcCodec.excerpt(bytes, offset, length, 200), e);
            return;
        }
        if (message instanceof RpcReply reply) {
            if (!held.replied(reply, worker.stdin())) {
                worker.listener().lateReply(worker, reply.id());
            }
        } else if (message instanceof RpcNotification notification) {
            if (progress(notification)) {
                return;
            }
            if (!protocol.answersWorkerRequests() && JsonRpc.READY.equals(notification.method())) {
                worker.readyNotified(notification.params());
            } else {
                worker.listener().workerMessage(worker, "notification");
                LOG.debug("[{}] {} sent notification {}", worker.pool(), worker.label(), notification.method());
            }
        } else if (message instanceof RpcRequest request) {
            if (!protocol.answersWorkerRequests()) {
                worker.listener().protocolError(worker, "invalid_message");
                worker.fault(WorkerFault.Kind.PROTOCOL, "it wrote a corrupt frame on stdout (workers send no"
                        + " requests, only replies and notifications): " + RpcCodec.excerpt(bytes, offset, length, 200),
                        null);
                return;
            }
            worker.listener().workerMessage(worker, "request");
            requests.answer(request);
        } else if (message instanceof StrayLine) {
            worker.listener().protocolError(worker, "stray");
            if (worker.logBudget().admit(LOG, worker.logPrefix())) {
                LOG.warn("[{}] {} wrote a line that is not a protocol message on stdout (ignored): {}", worker.pool(),
                        worker.label(), RpcCodec.excerpt(bytes, offset, length, 200));
            }
        }
    }

    /**
     * A progress notification for a call this worker holds goes to the call; returns whether it did.
     * Any other (a token that is not one of ours, a call that has ended or has no listener) is left
     * to be counted and logged as a notification.
     */
    private boolean progress(RpcNotification notification) {
        long id = protocol.progressFor(notification.method(), notification.params());
        return id >= 0 && held.progress(id, protocol.progressValue(notification.params()));
    }

    @Override
    public JavaType resultType(long id) {
        return held.resultType(id);
    }

    @Override
    public void tooLong(byte[] bytes, int offset, int length) {
        worker.listener().protocolError(worker, "oversized");
        worker.fault(WorkerFault.Kind.PROTOCOL, "it wrote a stdout line longer than the frame size limit of "
                + worker.maxFrameSize() + " bytes (processio.io.max-frame-size), beginning "
                + RpcCodec.excerpt(bytes, offset, length, 120), null);
    }

    @Override
    public void end(IOException error) {
        decoder.close();
        worker.stdoutEnded(error);
    }
}
