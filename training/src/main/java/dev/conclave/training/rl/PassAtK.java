package dev.conclave.training.rl;

/**
 * The unbiased pass@k estimator (Chen et al. 2021, "Evaluating Large Language Models Trained on Code"):
 * from n samples of which c are correct, the probability that k samples drawn without replacement contain
 * a correct one, 1 − C(n−c, k)/C(n, k), computed as a product so large n does not overflow.
 */
public final class PassAtK {
    private PassAtK() {
    }

    public static double estimate(int n, int c, int k) {
        if (c < 0 || c > n || k < 1 || k > n) {
            throw new IllegalArgumentException("pass@k needs 0 <= c <= n and 1 <= k <= n, got n " + n
                    + ", c " + c + ", k " + k);
        }
        if (n - c < k) {
            return 1;
        }
        // C(n−c, k)/C(n, k) = Π_{i = n−c+1..n} (1 − k/i)
        double allWrong = 1;
        for (int i = n - c + 1; i <= n; i++) {
            allWrong *= 1 - (double) k / i;
        }
        return 1 - allWrong;
    }
}
