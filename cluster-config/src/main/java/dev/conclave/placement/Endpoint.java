package dev.conclave.placement;

import java.net.Inet6Address;
import java.util.regex.Pattern;

/**
 * A host and port a node binds to and others reach it at. The host must be a literal IP or a hostname,
 * checked by its form only: a placement is read on machines that may not resolve the other nodes' names.
 *
 * @param host a literal IPv4 or IPv6 address (without brackets) or a hostname
 * @param port 1 to 65535; port 0, "any free port", cannot be given to the other nodes
 */
public record Endpoint(String host, int port) {

    private static final Pattern HOSTNAME_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern DOTTED_DIGITS = Pattern.compile("[0-9.]+");

    public Endpoint {
        String problem = hostProblem(host);
        if (problem != null) {
            throw new IllegalArgumentException("'" + host + "' is not a literal IP or a hostname: " + problem);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range 1-65535");
        }
    }

    /**
     * Reads {@code host:port}, an IPv6 host in brackets: {@code [::1]:40123}.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static Endpoint parse(String text) {
        String s = text.strip();
        int colon = s.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("'" + s + "' is not host:port");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("'" + s + "' is not host:port; write an IPv6 host in brackets, [::1]:40123");
        }
        String port = s.substring(colon + 1);
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("'" + s + "' does not end in a port number");
        }
        return new Endpoint(host, Integer.parseInt(port));
    }

    /** Why {@code host} is neither a literal IP nor a hostname, or null when it is one of them. */
    public static String hostProblem(String host) {
        if (host.contains(":")) {
            try {
                Inet6Address.ofLiteral(host);
                return null;
            } catch (IllegalArgumentException e) {
                return "it holds ':' but is not an IPv6 address";
            }
        }
        if (DOTTED_DIGITS.matcher(host).matches()) {
            return isDottedQuad(host) ? null : "it is not an IPv4 address a.b.c.d with parts 0-255";
        }
        if (host.length() > 253 || !allLabels(host)) {
            return "a hostname is dot-separated labels of letters, digits and inner '-'";
        }
        return null;
    }

    private static boolean allLabels(String host) {
        for (String label : host.split("\\.", -1)) {
            if (!HOSTNAME_LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDottedQuad(String host) {
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    /** {@code host:port}, an IPv6 host in brackets: the form Aeron channel URIs and Pekko addresses take. */
    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
