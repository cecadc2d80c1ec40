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
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The page in headless Chromium (Debian's chromium and chromium-driver): typing renders a preview,
 * and the dashboard shows worker tiles with live data. Skipped when Chromium is not installed,
 * unless PROCESSIO_REQUIRE_BROWSER=1, as in CI, where that fails.
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

        wait.until(d -> d.findElements(By.cssSelector("#preview h1")).stream()
                .anyMatch(h -> h.getText().equals("Typed in a browser")));
        WebElement code = browser.findElement(By.cssSelector("#preview pre code"));
        assertThat(code.getAttribute("class")).contains("hljs", "language-js");
        assertThat(code.findElements(By.cssSelector("span.hljs-keyword"))).isNotEmpty();
        assertThat(browser.findElements(By.cssSelector("#preview script"))).isEmpty();
        assertThat(browser.executeScript("return window.pwned === undefined")).isEqualTo(true);
        assertThat(browser.findElement(By.id("render-info")).getText()).matches("worker \\d+ · [0-9.]+ ms");

        wait.until(d -> d.findElements(By.cssSelector("#tiles .tile.READY")).size() >= 2);
        assertThat(browser.findElements(By.cssSelector("#tiles .tile dd.pid")))
                .allSatisfy(pid -> assertThat(pid.getText()).matches("\\d+"));
        // Live: a second sample of the calls timer has been turned into a rate.
        wait.until(d -> d.findElement(By.id("rate")).getText().matches("[0-9.]+"));
        assertThat(browser.findElement(By.id("chaos")).isDisplayed()).isFalse();
    }
}
