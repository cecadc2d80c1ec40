package dev.processio.pool;

/** Why a live worker stopped being trusted. The worker kills itself before reporting one. */
record WorkerFault(Kind kind, String message, Throwable cause) {

    enum Kind {
        /** A write to stdin stayed blocked past the write timeout. */
        STALLED,
        /** stdin broke: EPIPE or another write error. */
        BROKEN_PIPE,
        /** A corrupt or oversized frame on stdout. */
        PROTOCOL,
        /** stdout closed while the process lived on. */
        STDOUT_CLOSED,
        /** Its process tree went over processio.worker.limits.memory or .processes ({@link LimitWatch}). */
        LIMIT
    }
}
