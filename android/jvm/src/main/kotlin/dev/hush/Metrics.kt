package dev.hush

/**
 * A metric of the schema, resolved once by name ([Hush.counter] and friends);
 * recording then goes by index, without a lookup. A metric belongs to the
 * [Hush] that resolved it.
 */
sealed class Metric(val name: String, internal val index: Int, internal val owner: Hush)

/** A count, e.g. `bookmarks.added`. */
class Counter internal constructor(name: String, index: Int, owner: Hush) : Metric(name, index, owner)

/** A count per label declared in the schema, e.g. `settings.switched`. */
class LabeledCounter internal constructor(name: String, index: Int, owner: Hush) : Metric(name, index, owner)

/** A yes/no value that the last call sets. */
class BooleanMetric internal constructor(name: String, index: Int, owner: Hush) : Metric(name, index, owner)

/** Samples counted into the schema's buckets. */
class Histogram internal constructor(name: String, index: Int, owner: Hush) : Metric(name, index, owner)
