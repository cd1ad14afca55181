package dev.conclave.text.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The fixture tokenizers (loaded once, they are 2 MB each) and the Rust library's golden ids for them. */
final class GoldenTokenizers {

    static final List<String> NAMES = List.of("qwen3", "deepseek_v3");

    /** One golden string: the ids the Rust library produced and the text it decoded them to. */
    record Case(String tokenizer, int index, String text, int[] ids, String decoded) {
        @Override
        public String toString() {
            return tokenizer + "#" + index + " " + text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
        }
    }

    private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    private GoldenTokenizers() {
    }

    static Path resource(String name) {
        try {
            return Path.of(GoldenTokenizers.class.getResource("/tokenizers/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Tokenizer tokenizer(String name) {
        return LOADED.computeIfAbsent(name, n -> Tokenizer.load(resource(n + ".tokenizer.json.gz")));
    }

    static List<Case> cases() {
        JsonNode golden;
        try {
            golden = new ObjectMapper().readTree(resource("golden.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Case> cases = new ArrayList<>();
        for (String name : NAMES) {
            JsonNode list = golden.path("cases").path(name);
            for (int i = 0; i < list.size(); i++) {
                JsonNode c = list.get(i);
                int[] ids = new int[c.get("ids").size()];
                for (int j = 0; j < ids.length; j++) {
                    ids[j] = c.get("ids").get(j).asInt();
                }
                cases.add(new Case(name, i, c.get("text").asText(), ids, c.get("decoded").asText()));
            }
        }
        return cases;
    }
}
