package io.printmaster.server.notifications.impl;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/** A webhook receiver on loopback: answers the scripted statuses in turn (the last one from then on), keeps what came. */
final class Receiver implements AutoCloseable {
    record Request(byte[] body, Map<String, List<String>> headers) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).findFirst()
                    .map(e -> e.getValue().get(0)).orElse(null);
        }
    }

    final BlockingQueue<Request> received = new LinkedBlockingQueue<>();
    private final List<Integer> statuses = new CopyOnWriteArrayList<>();
    private final HttpServer server;

    Receiver(Integer... statuses) throws IOException {
        this.statuses.addAll(List.of(statuses));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(new Request(body, Map.copyOf(exchange.getRequestHeaders())));
            int status = this.statuses.size() > 1 ? this.statuses.remove(0) : this.statuses.get(0);
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
