package dev.processio.demo;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The processio demo: a Markdown rendering service whose renderer (marked, highlight.js and
 * sanitize-html) runs in a pool of Node.js workers, with a live dashboard of the pool and, under
 * the {@code chaos} profile, buttons that make a worker misbehave.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class DemoApplication {

    public static void main(String[] args) {
        SpringApplication.run(DemoApplication.class, args);
    }
}
