package dev.conclave.model.serving;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Collects one request's tokens (and their log-probs when reported) and its ending, for the engine tests (here and
 * through a cluster, in actors/).
 */
public final class Collector implements TokenListener {
    public final List<Integer> tokens = new CopyOnWriteArrayList<>();
    public final List<Double> logProbs = new CopyOnWriteArrayList<>();
    public final CompletableFuture<FinishReason> finished = new CompletableFuture<>();
    public volatile String error;
    public volatile Usage usage;

    @Override
    public void onToken(int id) {
        tokens.add(id);
    }

    @Override
    public void onToken(int id, double logProb) {
        tokens.add(id);
        logProbs.add(logProb);
    }

    @Override
    public void onFinish(FinishReason reason, Usage usage) {
        this.usage = usage;
        finished.complete(reason);
    }

    @Override
    public void onError(String message) {
        error = message;
        finished.complete(null);
    }

    public FinishReason await() throws Exception {
        return finished.get(60, TimeUnit.SECONDS);
    }

    public int[] ids() {
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }
}
