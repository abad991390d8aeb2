package io.shardkv.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The restart plot: restart time against data size, one line per system and mode (median of runs). */
public final class RestartPlot {
  private RestartPlot() {}

  /** Writes a PNG of {@code rows} to {@code png}. */
  public static void write(List<RestartRow> rows, Path png) throws IOException {
    // No display on servers and in CI: draw off-screen.
    System.setProperty("java.awt.headless", "true");
    Map<String, Map<Double, List<Double>>> bySeries = new LinkedHashMap<>();
    for (RestartRow r : rows) {
      bySeries.computeIfAbsent(r.series(), k -> new LinkedHashMap<>())
          .computeIfAbsent(r.loadedMib() / 1024.0, k -> new ArrayList<>()).add(r.seconds());
    }
    XYSeriesCollection data = new XYSeriesCollection();
    bySeries.forEach((name, points) -> {
      XYSeries s = new XYSeries(name);
      points.forEach((gb, secs) -> s.add((double) gb, median(secs)));
      data.addSeries(s);
    });
    JFreeChart chart = ChartFactory.createXYLineChart("Restart: process start to first linearizable read",
        "data loaded (GiB)", "seconds (median of runs)", data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    plot.setRenderer(new XYLineAndShapeRenderer(true, true));
    if (png.toAbsolutePath().getParent() != null) {
      java.nio.file.Files.createDirectories(png.toAbsolutePath().getParent());
    }
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 550);
  }

  static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
