package dev.conclave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `conclave chat` against a real `serve`: two turns, a thinking toggle, and a clean exit. */
class ChatCommandTest {

    @TempDir
    Path dir;

    @Test
    void chatsTwoTurnsTogglesThinkingAndExits() throws Exception {
        Path model = ServableModel.create(dir);
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--model", model.toString(), "--port", "0", "--grpc-port", "-1", "--threads", "2");
        try (ServeCommand.Served served = serve.start()) {
            ChatCommand chat = new ChatCommand();
            chat.input = new ByteArrayInputStream("hello\n/nothink\nand again\n/exit\nnever read\n"
                    .getBytes(StandardCharsets.UTF_8));
            CommandLine cl = new CommandLine(chat);
            StringWriter out = new StringWriter();
            cl.setOut(new PrintWriter(out));
            int code = cl.execute("--url", "http://127.0.0.1:" + served.server().port(), "--max-tokens", "6",
                    "--temperature", "0");
            assertEquals(0, code, out.toString());
            String text = out.toString();
            assertEquals(2, text.split("assistant: ", -1).length - 1, text);
            assertTrue(text.contains("(thinking off)"), text);
        }
    }
}
