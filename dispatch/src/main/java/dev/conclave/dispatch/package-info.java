/**
 * The data plane: the MoE all-to-all between attention stages and expert groups over Aeron.
 * <p>
 * Per MoE layer of a step, an attention stage's {@link dev.conclave.dispatch.ExpertDispatcher} sends
 * each node that hosts routed experts one DISPATCH message with those experts' blocks of token rows
 * (the router's {@link dev.conclave.router.DispatchPlan} order), computes its own experts meanwhile,
 * then collects the COMBINE replies into the grouped buffer that
 * {@code dev.conclave.experts.Combine} reads. On the other side an
 * {@link dev.conclave.dispatch.ExpertServer} runs the experts of each message and replies with the
 * rows in the same order, or with a FAILURE.
 * <p>
 * Messages ({@link dev.conclave.dispatch.RowsMessage}) are flyweights written straight into send
 * buffers; a message larger than a term/8 travels as row chunks, and Aeron fragments each chunk into
 * MTU frames. A step fails with a {@link dev.conclave.dispatch.DataPlaneException} naming the nodes and
 * experts involved when a peer is not connected, stays back-pressured, answers with a FAILURE, or is
 * silent past the step timeout; replies that arrive after their step are discarded.
 * <p>
 * On one host, nodes share one media driver and talk over IPC; across hosts each runs its own driver
 * and talks UDP. Every loop backs off when idle rather than spinning: this runs on 2-core machines.
 */
package dev.conclave.dispatch;
