package dev.conclave.training.nn;

import dev.conclave.core.parallel.Parallel;

/**
 * The routed experts of one MoE block as its forward and backward see them: in this process
 * ({@link LocalExperts}) or on the nodes a placement assigns them to. The MoE math (gates, combine, gate
 * gradients) stays in {@link Moe}; an implementation only runs expert e on its grouped rows.
 */
public interface RoutedExperts {

    /**
     * Row r of {@code outs[e]} becomes {@code f_e(m[routing.token(e, r)])} for every expert with rows;
     * what the backward needs is kept until it runs. m is [rows × hidden].
     */
    void forward(ExpertRouting routing, double[] m, double[][] outs, Parallel p);

    /**
     * Row r of {@code dIn[e]} becomes the input gradient of expert e's row r for the output gradient row r
     * of {@code dOut[e]}; every expert accumulates its parameter gradients.
     */
    void backward(ExpertRouting routing, double[][] dOut, double[][] dIn, Parallel p);
}
