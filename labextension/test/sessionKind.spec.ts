import { sessionKindLabel } from '../src/format';

describe('session kind', () => {
  it.each([
    ['pyspark', 'PySpark'],
    ['spark', 'Spark (Scala)'],
    ['sparkr', 'SparkR'],
    ['sql', 'Spark SQL']
  ])('shows Livy kind %s as %s', (kind, label) => {
    expect(sessionKindLabel(kind)).toBe(label);
  });

  it('shows a kind it does not know as Livy names it', () => {
    expect(sessionKindLabel('shared')).toBe('shared');
  });

  it('says so when Livy gives no kind', () => {
    expect(sessionKindLabel(null)).toBe('unknown kind');
  });
});
