package dev.processio.demo;

import dev.processio.CallOptions;
import dev.processio.NodeBridge;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * A long call whose progress goes to the browser as it happens, and which the browser can cancel.
 *
 * <ul>
 *   <li>{@code GET /api/jobs/slow?steps=N&ms=M}: calls the worker module's {@code slowJob}, which
 *       waits M ms per step, and answers {@code text/event-stream}: one {@code started} event with
 *       the job's id, a {@code progress} event per step, then one of {@code done},
 *       {@code cancelled} or {@code failed}, after which the stream ends.</li>
 *   <li>{@code POST /api/jobs/{id}/cancel}: cancels the call's future (202), or 404 for a job that
 *       is unknown or over. The worker's handler sees its {@code AbortSignal} and stops; the worker
 *       stays in the pool.</li>
 * </ul>
 *
 * A client that goes away cancels its job too: the emitter's error, timeout and completion
 * callbacks all cancel the call, and cancelling a call that has ended does nothing. Thread-safe.
 */
@RestController
class SlowJobController {

    private static final Logger log = LoggerFactory.getLogger(SlowJobController.class);

    static final int MAX_STEPS = 200;
    static final int MAX_STEP_MILLIS = 2_000;
    /** Beyond the job's own length, so that only a stuck worker hits the call's time limit. */
    private static final Duration SLACK = Duration.ofSeconds(5);

    private final NodeBridge bridge;
    private final Executor executor;
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();

    SlowJobController(NodeBridge bridge, @Qualifier("applicationTaskExecutor") Executor executor) {
        this.bridge = bridge;
        this.executor = executor;
    }

    @GetMapping(path = "/api/jobs/slow", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    SseEmitter slow(@RequestParam(defaultValue = "20") int steps, @RequestParam(defaultValue = "250") int ms) {
        if (steps < 1 || steps > MAX_STEPS || ms < 0 || ms > MAX_STEP_MILLIS) {
            throw new InputRejectedException(HttpStatus.BAD_REQUEST, "Bad job",
                    "steps must be 1 to " + MAX_STEPS + " and ms 0 to " + MAX_STEP_MILLIS + "; were " + steps
                            + " and " + ms);
        }
        Duration timeout = Duration.ofMillis((long) steps * ms).plus(SLACK);
        SseEmitter emitter = new SseEmitter(timeout.plus(SLACK).toMillis());
        Job job = new Job(UUID.randomUUID().toString(), steps, emitter);
        jobs.put(job.id, job);
        // Whichever way the response ends, the call ends with it.
        emitter.onCompletion(job::cancel);
        emitter.onTimeout(job::cancel);
        emitter.onError(failure -> job.cancel());

        job.send("started", Map.of("id", job.id, "steps", steps, "ms", ms));
        CallOptions options = CallOptions.timeout(timeout).withProgress(Step.class, job::progress);
        CompletableFuture<Finished> call = bridge.callAsync("slowJob", Map.of("steps", steps, "ms", ms),
                Finished.class, options);
        job.started(call);
        // Not on the thread that completes the call, which may be a worker's stdout thread.
        call.whenCompleteAsync(job::finish, executor);
        return emitter;
    }

    @PostMapping("/api/jobs/{id}/cancel")
    ResponseEntity<Map<String, Object>> cancel(@PathVariable String id) {
        Job job = jobs.get(id);
        if (job == null) {
            throw new InputRejectedException(HttpStatus.NOT_FOUND, "Unknown job",
                    "no job '" + id + "' is running; it may have ended already");
        }
        job.cancel();
        return ResponseEntity.accepted().body(Map.of("id", id, "cancelled", true));
    }

    /** One value of {@code context.progress}. */
    record Step(int step, int of, long worker) {
    }

    /** The handler's result. */
    record Finished(int steps, long worker) {
    }

    /**
     * One running job: its call and its response. Events are sent under {@link #lock} so that none
     * follows the last one; the call's progress thread, the request thread and the executor send.
     */
    private final class Job {

        final String id;
        final int steps;
        final SseEmitter emitter;
        final long startNanos = System.nanoTime();
        private final Object lock = new Object();

        /** Guarded by {@link #lock}. */
        private CompletableFuture<Finished> call;
        /** Guarded by {@link #lock}: cancelled before the call was made. */
        private boolean cancelled;
        /** Guarded by {@link #lock}: the last event has been sent. */
        private boolean over;
        /** Guarded by {@link #lock}. */
        private int lastStep;

        Job(String id, int steps, SseEmitter emitter) {
            this.id = id;
            this.steps = steps;
            this.emitter = emitter;
        }

        void started(CompletableFuture<Finished> call) {
            synchronized (lock) {
                this.call = call;
                if (cancelled) {
                    call.cancel(true);
                }
            }
        }

        void cancel() {
            CompletableFuture<Finished> toCancel;
            synchronized (lock) {
                cancelled = true;
                toCancel = call;
            }
            // Outside the lock: cancelling completes the future, and its stages may want it.
            if (toCancel != null) {
                toCancel.cancel(true);
            }
        }

        void progress(Step step) {
            synchronized (lock) {
                lastStep = step.step();
                send("progress", step);
            }
        }

        void finish(Finished result, Throwable failure) {
            jobs.remove(id);
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            synchronized (lock) {
                long millis = (System.nanoTime() - startNanos) / 1_000_000;
                if (cause == null) {
                    send("done", Map.of("steps", result.steps(), "worker", result.worker(), "millis", millis));
                } else if (cause instanceof CancellationException) {
                    log.info("slow job {} cancelled after step {} of {}", id, lastStep, steps);
                    send("cancelled", Map.of("step", lastStep, "of", steps, "millis", millis));
                } else {
                    log.warn("slow job {} failed: {}", id, cause.getMessage());
                    send("failed", Map.of("step", lastStep, "of", steps, "detail", String.valueOf(cause.getMessage())));
                }
                over = true;
                emitter.complete();
            }
        }

        /** Sends one event, unless the stream has ended; a client that has gone cancels the call. */
        void send(String event, Object data) {
            synchronized (lock) {
                if (over) {
                    return;
                }
                try {
                    emitter.send(SseEmitter.event().name(event).data(data, MediaType.APPLICATION_JSON));
                } catch (IOException | IllegalStateException gone) {
                    over = true;
                    executor.execute(this::cancel);
                }
            }
        }
    }
}
