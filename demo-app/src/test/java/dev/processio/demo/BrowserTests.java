package dev.processio.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.processio.testing.NoLeaks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The page in headless Chromium (Debian's chromium and chromium-driver): typing renders a preview,
 * the dashboard shows worker tiles with live data, and a sample document picked from the docs
 * pool's MCP server is previewed, with that server on the docs pool's tiles, and a slow job shows
 * its progress and can be cancelled, leaving its worker in the pool. Skipped when Chromium
 * is not installed, unless PROCESSIO_REQUIRE_BROWSER=1, as in CI, where that fails.
 */
@ExtendWith(NoLeaks.AfterAllTests.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class BrowserTests {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    static Path profile;
    static ChromeDriver browser;

    @LocalServerPort
    int port;

    @BeforeAll
    static void startBrowser() throws IOException {
        boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!installed && "1".equals(System.getenv("PROCESSIO_REQUIRE_BROWSER"))) {
            fail(CHROMIUM + " or " + CHROMEDRIVER + " is missing and PROCESSIO_REQUIRE_BROWSER=1:"
                    + " install Debian's chromium and chromium-driver packages");
        }
        assumeThat(installed).as(CHROMIUM + " and " + CHROMEDRIVER + " (Debian packages chromium, chromium-driver)"
                + " are needed for the browser test; skipped").isTrue();
        profile = Files.createTempDirectory("processio-demo-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1400,1000", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
        if (profile != null) {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Test
    void typingRendersThePreviewAndTheDashboardShowsWorkers() {
        browser.get("http://localhost:" + port + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));

        WebElement editor = browser.findElement(By.id("editor"));
        editor.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
        editor.sendKeys("# Typed in a browser\n\n```js\nconst answer = 42;\n```\n\n<script>window.pwned = 1</script>\n");

        // The page replaces the preview on each render and the tiles on each poll, so an element found
        // now can be gone by the next call: every check reads what it needs in one script, and waits
        // for the page to settle on the final text rather than an intermediate render.
        wait.until(d -> texts("#preview h1").equals(List.of("Typed in a browser"))
                && !texts("#preview pre code span.hljs-keyword").isEmpty());
        assertThat(browser.executeScript("return document.querySelector('#preview pre code').className"))
                .asString().contains("hljs", "language-js");
        assertThat(texts("#preview script")).isEmpty();
        assertThat(browser.executeScript("return window.pwned === undefined")).isEqualTo(true);
        assertThat(texts("#render-info")).singleElement().asString().matches("worker \\d+ · [0-9.]+ ms");

        wait.until(d -> texts("#tiles .tile.READY").size() >= 2);
        assertThat(texts("#tiles .tile dd.pid")).isNotEmpty().allSatisfy(pid -> assertThat(pid).matches("\\d+"));
        // Live: a second sample of the calls timer has been turned into a rate.
        wait.until(d -> texts("#rate").stream().anyMatch(rate -> rate.matches("[0-9.]+")));
        assertThat(browser.findElement(By.id("chaos")).isDisplayed()).isFalse();
    }

    @Test
    void aPickedSampleIsPreviewedAndTheDocsPoolShowsItsServer() {
        browser.get("http://localhost:" + port + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));

        // The list is filled once, from GET /api/docs, and never replaced, so the element stays valid.
        wait.until(d -> texts("#docs-select option").contains("dialects.md"));
        new Select(browser.findElement(By.id("docs-select"))).selectByValue("dialects.md");

        wait.until(d -> texts("#preview h1").equals(List.of("Dialects")));
        assertThat(browser.executeScript("return document.querySelector('#editor').value"))
                .asString().startsWith("# Dialects\n");
        assertThat(texts("#preview table")).hasSize(1);
        assertThat(texts("#render-info")).singleElement().asString()
                .matches("dialects\\.md: read by pool \"docs\" · rendered by worker \\d+ · [0-9.]+ ms");

        wait.until(d -> texts("#docs-tiles .tile.READY dd.server").stream()
                .anyMatch(server -> server.startsWith("secure-filesystem-server ")));
        assertThat(texts("#docs-tiles .tile dd.protocol")).isNotEmpty().allSatisfy(v -> assertThat(v).isEqualTo("2025-11-25"));
        assertThat(texts("#docs-pool-name")).containsExactly("pool \"docs\"");
        // The render pool's tiles name the processio runtime instead.
        assertThat(texts("#tiles .tile dd.server")).isNotEmpty().allSatisfy(v -> assertThat(v).startsWith("processio "));
    }

    @Test
    void aSlowJobShowsItsProgressAndCancelLeavesItsWorker() {
        browser.get("http://localhost:" + port + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));

        wait.until(d -> texts("#tiles .tile.READY").size() == 2 && !texts("#totals .cancelled b").isEmpty());
        List<String> pids = texts("#tiles .tile dd.pid").stream().sorted().toList();
        long cancelledBefore = Long.parseLong(texts("#totals .cancelled b").get(0));

        // 100 steps of 250 ms: time enough to see the bar move and to press Cancel before it ends.
        browser.executeScript("document.querySelector('#job-steps').value = '100'");
        browser.findElement(By.id("job-start")).click();
        wait.until(d -> ((Number) job().get("value")).intValue() >= 2);
        Map<String, Object> running = job();
        assertThat(((Number) running.get("max")).intValue()).isEqualTo(100);
        assertThat(running.get("status")).asString().matches("step \\d+ of 100 · worker \\d+");
        assertThat(running.get("cancelDisabled")).isEqualTo(false);
        assertThat(running.get("startDisabled")).isEqualTo(true);
        String worker = running.get("status").toString().replaceAll(".* · worker ", "");

        // The buttons are never replaced, so these elements cannot go stale.
        browser.findElement(By.id("job-cancel")).click();
        wait.until(d -> job().get("status").toString().startsWith("cancelled"));
        Map<String, Object> cancelled = job();
        assertThat(cancelled.get("status")).asString()
                .matches("cancelled at step \\d+ of 100 · worker " + worker + " stays in the pool");
        assertThat(((Number) cancelled.get("value")).intValue()).isBetween(2, 99);
        assertThat(cancelled.get("statusClass")).isEqualTo("cancelled");
        assertThat(cancelled.get("startDisabled")).isEqualTo(false);
        assertThat(cancelled.get("cancelDisabled")).isEqualTo(true);

        // The dashboard counts the cancelled call, and the worker that ran the job is still there.
        wait.until(d -> texts("#totals .cancelled b").equals(List.of(String.valueOf(cancelledBefore + 1))));
        wait.until(d -> texts("#tiles .tile.READY").size() == 2);
        assertThat(texts("#tiles .tile dd.pid").stream().sorted().toList()).isEqualTo(pids).contains(worker);
    }

    /** The slow job's controls, read in one script. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> job() {
        return (Map<String, Object>) browser.executeScript("""
                const bar = document.querySelector('#job-bar');
                const status = document.querySelector('#job-status');
                return { value: bar.value, max: bar.max, status: status.textContent.trim(),
                         statusClass: status.className, startDisabled: document.querySelector('#job-start').disabled,
                         cancelDisabled: document.querySelector('#job-cancel').disabled };
                """);
    }

    /** The text of every element matching {@code css}, read in one script so none can go stale in between. */
    static List<String> texts(String css) {
        Object texts = browser.executeScript(
                "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent.trim())", css);
        return ((List<?>) texts).stream().map(String::valueOf).toList();
    }
}
