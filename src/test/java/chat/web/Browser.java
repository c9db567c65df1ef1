package chat.web;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/** One person's headless Chromium (its own profile, so its own localStorage) and the steps they take. */
final class Browser implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  final String name;
  private final ChromeDriverService service;
  final ChromeDriver driver;

  Browser(String name, Path profileDir, int width, int height) throws IOException {
    this.name = name;
    Files.createDirectories(profileDir);
    // An explicit driver and binary keep Selenium Manager from trying to download anything.
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
        .usingAnyFreePort()
        .withLogOutput(java.io.OutputStream.nullOutputStream())
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-features=Translate,MediaRouter,OptimizationHints", "--password-store=basic",
        "--lang=en-US", "--user-data-dir=" + profileDir.toAbsolutePath(),
        "--window-size=" + width + "," + height);
    if (width < 500) {
      // headless windows are at least 500 px wide: a phone's viewport needs device emulation
      options.setExperimentalOption("mobileEmulation",
          Map.of("deviceMetrics", Map.of("width", width, "height", height, "pixelRatio", 2.0, "touch", false)));
    }
    options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, Level.ALL.getName()));
    try {
      driver = new ChromeDriver(service, options);
    } catch (RuntimeException e) {
      service.stop();
      throw e;
    }
  }

  void open(String url) {
    driver.get(url);
  }

  <T> T await(String what, Function<WebDriver, T> condition) {
    WebDriverWait wait = new WebDriverWait(driver, PATIENCE, Duration.ofMillis(100));
    wait.ignoring(StaleElementReferenceException.class);
    wait.withMessage(() -> name + ": " + what);
    return wait.until(condition);
  }

  /** The text of the first element matching `css`, "" when there is none (does not wait). */
  String text(String css) {
    List<WebElement> found = all(css);
    return found.isEmpty() ? "" : found.get(0).getText();
  }

  WebElement find(String css) {
    return await("element " + css, d -> {
      List<WebElement> found = d.findElements(By.cssSelector(css));
      return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
    });
  }

  List<WebElement> all(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  boolean present(String css) {
    return !all(css).isEmpty();
  }

  /** Finds and clicks in one waited step: a list re-rendered in between only means another try. */
  void click(String css) {
    await("click " + css, d -> {
      List<WebElement> found = d.findElements(By.cssSelector(css));
      if (found.isEmpty() || !found.get(0).isDisplayed()) return null;
      found.get(0).click();
      return true;
    });
  }

  void type(String css, CharSequence... keys) {
    await("type into " + css, d -> {
      List<WebElement> found = d.findElements(By.cssSelector(css));
      if (found.isEmpty() || !found.get(0).isDisplayed()) return null;
      found.get(0).clear();
      found.get(0).sendKeys(keys);
      return true;
    });
  }

  void awaitText(String css, String expected) {
    await("text '" + expected + "' in " + css, d -> {
      for (WebElement el : d.findElements(By.cssSelector(css))) {
        if (el.getText().contains(expected)) return true;
      }
      return null;
    });
  }

  /** Registers through the UI and waits for the chat screen. */
  void register(String baseUrl, String username, String password) {
    open(baseUrl + "/");
    click("#tab-register");
    type("#username", username);
    type("#password", password);
    type("#display-name", Character.toUpperCase(username.charAt(0)) + username.substring(1));
    click("#auth-submit");
    find("#chat-list");
    await("connected", d -> present("#connection-banner[hidden]") ? true : null);
  }

  /** On a phone the list and the conversation take turns; on a desktop the list is always there. */
  void showChats() {
    List<WebElement> back = all("#back");
    if (!back.isEmpty() && back.get(0).isDisplayed()) back.get(0).click();
    find("#chat-list");
  }

  void pressEscape() {
    new Actions(driver).sendKeys(Keys.ESCAPE).perform();
  }

  void openChat(String conversationId) {
    click(".chat-item[data-conversation=\"" + conversationId + "\"]");
    find("#composer-input");
  }

  void send(String text) {
    type("#composer-input", text, Keys.ENTER);
  }

  /** The bubble holding `text` (waits for it). */
  WebElement message(String text) {
    return await("message '" + text + "'", d -> messageNow(text));
  }

  private WebElement messageNow(String text) {
    for (WebElement el : all(".msg")) {
      if (el.getText().contains(text)) return el;
    }
    return null;
  }

  long countMessages(String text) {
    return all(".msg").stream().filter(el -> el.getText().contains(text)).count();
  }

  void awaitStatus(String text, String... statuses) {
    await("status " + String.join("|", statuses) + " of '" + text + "'", d -> {
      WebElement bubble = messageNow(text);
      String status = bubble == null ? null : bubble.getDomAttribute("data-status");
      // List.of(...).contains(null) throws: no bubble (yet) or no status simply means "not yet"
      return status != null && List.of(statuses).contains(status) ? status : null;
    });
  }

  String status() {
    return text("#conversation-status");
  }

  Object js(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  void screenshot(Path dir, String file) throws IOException {
    Files.createDirectories(dir);
    js("document.activeElement && document.activeElement.blur && document.activeElement.tagName === 'BUTTON' && document.activeElement.blur()");
    Files.write(dir.resolve(file), driver.getScreenshotAs(OutputType.BYTES));
  }

  List<LogEntry> consoleErrors() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue())
        .toList();
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      service.stop();
    }
  }
}
