package dev.conclave.placement;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EndpointTest {

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "10.1.2.255", "::1", "fe80::1:2", "localhost", "node-1.example.org", "EXPERTS-A"})
    void literalIpsAndHostnamesAreHosts(String host) {
        assertNull(Endpoint.hostProblem(host));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "256.0.0.1", "127.0.1", "1.2.3.4.5", "127.0.0.1:25520", "http://head", "a..b",
            "-head", "head-", "under_score", "spa ce", "::g", "héad"})
    void othersAreNot(String host) {
        assertNotNull(Endpoint.hostProblem(host), host);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "127.0.0.1:40123 | 127.0.0.1 | 40123 | 127.0.0.1:40123",
            "' head:1 ' | head | 1 | head:1",
            "[::1]:40123 | ::1 | 40123 | [::1]:40123"})
    void parsesHostAndPort(String text, String host, int port, String canonical) {
        Endpoint e = Endpoint.parse(text);
        assertEquals(new Endpoint(host, port), e);
        assertEquals(canonical, e.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "127.0.0.1 | is not host:port",
            "127.0.0.1: | does not end in a port number",
            "127.0.0.1:x | does not end in a port number",
            "127.0.0.1:0 | port 0 is out of range 1-65535",
            "127.0.0.1:65536 | port 65536 is out of range 1-65535",
            "::1:40123 | write an IPv6 host in brackets",
            "bad_host:1 | 'bad_host' is not a literal IP or a hostname"})
    void refusesBadEndpoints(String text, String message) {
        var e = assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(text));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
