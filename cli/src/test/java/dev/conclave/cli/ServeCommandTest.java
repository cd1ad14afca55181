package dev.conclave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conclave.api.grpc.v1.ConclaveGrpc;
import dev.conclave.api.grpc.v1.ListModelsRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.model.Generator;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.Sampler;
import dev.conclave.text.tokenizer.Tokenizer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `conclave serve` on a real checkpoint: HTTP against a lone run of the same prompt, and gRPC answering. */
class ServeCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void servesChatCompletionsWithTheLoneRunsTokens() throws Exception {
        Path model = ServableModel.create(dir);
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs("--model", model.toString(), "--port", "0", "--grpc-port", "0", "--api-key", "sesame",
                "--served-name", "m",
                "--threads", "2");
        try (ServeCommand.Served served = command.start()) {
            String base = "http://127.0.0.1:" + served.server().port();
            HttpClient http = HttpClient.newHttpClient();
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":10,"
                    + "\"temperature\":0}";
            HttpResponse<String> unauthorized = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, unauthorized.statusCode());

            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .header("Authorization", "Bearer sesame").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            JsonNode reply = JSON.readTree(response.body());

            Tokenizer tokenizer = Tokenizer.load(model);
            int[] prompt = tokenizer.encode(ServableModel.PROMPT_FORMAT.formatted("hi"), false);
            try (Checkpoint c = Checkpoint.open(model); Parallel p = Parallel.create(2)) {
                var pipeline = InProcessPipeline.load(c, p);
                int[] ids = new Generator(pipeline).generate(prompt, 10, Sampler.greedy(),
                        new HashSet<>(c.config().eosTokenIds()), t -> { });
                assertEquals(prompt.length, reply.get("usage").get("prompt_tokens").asInt());
                assertEquals(ids.length, reply.get("usage").get("completion_tokens").asInt(), response.body());
                String finish = reply.get("choices").get(0).get("finish_reason").asText();
                assertTrue(finish.equals(ids.length < 10 ? "stop" : "length") || finish.equals("tool_calls"), finish);
            }

            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", served.grpc().port()).usePlaintext().build();
            try {
                Metadata key = new Metadata();
                key.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer sesame");
                var models = ConclaveGrpc.newBlockingStub(channel)
                        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key))
                        .listModels(ListModelsRequest.getDefaultInstance());
                assertEquals("m", models.getModels(0).getId());
            } finally {
                channel.shutdownNow();
            }
        }
    }
}
