package dev.conclave.model;

/**
 * Accepting speculative drafts (Leviathan et al. 2023, Chen et al. 2023), so that the emitted tokens are
 * distributed exactly as the target model's samples. Draft {@code d_j} was drawn from {@code q_j}; the
 * target's distribution at the same position is {@code p_{j-1}} (both after the same temperature, top-k
 * and top-p transforms). Accept {@code d_j} with probability {@code min(1, p(d_j) / q(d_j))}; at the first
 * rejection emit a sample of {@code norm(max(0, p − q))} instead and stop; when every draft is accepted,
 * emit a bonus sample of {@code p_k}. Greedy is the one-hot case: accept while the draft is the target's
 * argmax, then emit the target's argmax, which draws no random number.
 */
final class DraftAcceptance {

    private DraftAcceptance() {
    }

    /**
     * @param target  the target's logits for the k+1 verified rows: row j scores the token after d_j (row 0
     *                the token after the pending one)
     * @param drafts  d_1..d_k
     * @param q       q_1..q_k over the vocabulary (unused when greedy)
     * @param p       scratch of the vocabulary's size
     * @param out     receives the accepted drafts and then the correction or bonus token
     * @return the number of accepted drafts j; {@code out[0..j]} holds the j + 1 emitted tokens
     */
    static int accept(Sampler sampler, float[][] target, int[] drafts, int k, double[][] q, double[] p, int[] out) {
        if (sampler.isGreedy()) {
            for (int j = 0; j < k; j++) {
                int best = Sampler.argmax(target[j]);
                out[j] = best;
                if (best != drafts[j]) {
                    return j;
                }
            }
            out[k] = Sampler.argmax(target[k]);
            return k;
        }
        int vocab = target[0].length;
        for (int j = 0; j < k; j++) {
            sampler.probabilities(target[j], p);
            int d = drafts[j];
            double ratio = p[d] / q[j][d];
            if (sampler.uniform() < ratio) {
                out[j] = d;
                continue;
            }
            double mass = 0;
            for (int i = 0; i < vocab; i++) {
                p[i] = Math.max(0, p[i] - q[j][i]);
                mass += p[i];
            }
            if (mass <= 0) {
                // p == q up to rounding: the draft would have been accepted; the residual is empty.
                sampler.probabilities(target[j], p);
            }
            out[j] = sampler.draw(p, vocab);
            return j;
        }
        sampler.probabilities(target[k], p);
        out[k] = sampler.draw(p, vocab);
        return k;
    }
}
