package dev.processio.protocol;

/** One line read from a worker's stdout, classified. */
public sealed interface RpcMessage permits RpcReply, RpcNotification, RpcRequest, StrayLine {
}
