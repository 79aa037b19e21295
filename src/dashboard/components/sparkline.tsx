const WIDTH = 300;
const HEIGHT = 40;

/** Bars of a series (oldest first), each with its label as a tooltip. */
export function Sparkline(props: {
  values: readonly number[];
  labels: readonly string[];
  label: string;
}) {
  const max = Math.max(1, ...props.values);
  const step = WIDTH / Math.max(1, props.values.length);
  return (
    <svg class="sparkline" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={props.label}>
      {props.values.map((value, i) => {
        const height = (value / max) * (HEIGHT - 2);
        return (
          <rect
            key={i}
            x={i * step + 0.5}
            y={HEIGHT - height}
            width={Math.max(1, step - 1)}
            height={height}
          >
            <title>{props.labels[i] ?? String(value)}</title>
          </rect>
        );
      })}
    </svg>
  );
}
