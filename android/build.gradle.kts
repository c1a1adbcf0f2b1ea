// The Hush AAR: the Kotlin API of android/jvm (compiled from its sources,
// not copied), the Android adapter (src/main/kotlin) and libhush_jni.so for
// four ABIs, built by cargo-ndk through scripts/build-android.

plugins {
    alias(libs.plugins.android.library)
}

android {
    namespace = "dev.hush.android"
    compileSdk = libs.versions.compileSdk.get().toInt()
    ndkVersion = libs.versions.ndk.get()

    defaultConfig {
        minSdk = libs.versions.minSdk.get().toInt()
        testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"
        // Passed to the app's R8: keeps the native methods and the classes JNI looks up.
        consumerProguardFiles("consumer-rules.pro")
    }

    // A library has no targetSdk of its own; this one is the test APK's and lint's.
    testOptions.targetSdk = libs.versions.targetSdk.get().toInt()
    lint.targetSdk = libs.versions.targetSdk.get().toInt()

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    sourceSets {
        // The public API and JNI bridge live in the pure-JVM module, tested
        // there on any JVM; the AAR compiles those same files.
        getByName("main").kotlin.srcDir("jvm/src/main/kotlin")
    }
}

kotlin {
    compilerOptions {
        // Same bar as android/host-check (-Werror): a deprecated platform call fails the build.
        allWarningsAsErrors.set(true)
    }
}

dependencies {
    // The only runtime dependency.
    implementation(libs.kotlin.stdlib)

    androidTestImplementation(libs.androidx.test.runner)
    androidTestImplementation(libs.androidx.test.ext.junit)
    androidTestImplementation(libs.junit)
    androidTestImplementation(libs.kotlin.test.junit)
}

/**
 * Runs scripts/build-android: cargo-ndk for arm64-v8a, armeabi-v7a, x86_64
 * and x86 in the release profile, 16 KB-aligned, checked. AGP sets
 * [outputDir] (a generated jniLibs directory of the variant).
 */
abstract class CargoNdk : Exec() {
    @get:OutputDirectory
    abstract val outputDir: DirectoryProperty

    /** cargo features, e.g. "test-hooks"; empty for the published AAR. */
    @get:Input
    abstract val features: Property<String>

    /** The SDK's NDK of android.ndkVersion, passed to cargo-ndk. */
    @get:Internal
    abstract val ndkDirectory: DirectoryProperty
}

val rustRoot = rootProject.layout.projectDirectory
val ndkDir = androidComponents.sdkComponents.ndkDirectory

fun registerCargoNdk(name: String, cargoFeatures: String) = tasks.register<CargoNdk>(name) {
    group = "rust"
    description = "Builds libhush_jni.so for the AAR's ABIs (features: '$cargoFeatures')"
    features.set(cargoFeatures)
    ndkDirectory.set(ndkDir)
    workingDir = rustRoot.asFile
    // Explicit bash, as libsignal does, so that Windows hosts with Git Bash work too.
    commandLine("bash", rustRoot.file("scripts/build-android").asFile.path)
    argumentProviders.add(CommandLineArgumentProvider {
        buildList {
            add("--out"); add(outputDir.get().asFile.path)
            add("--ndk"); add(ndkDirectory.get().asFile.path)
            if (features.get().isNotEmpty()) { add("--features"); add(features.get()) }
        }
    })
    // cargo is incremental itself; these inputs only let Gradle skip the task.
    inputs.dir(rustRoot.dir("rust")).withPathSensitivity(PathSensitivity.RELATIVE)
    inputs.files(rustRoot.file("Cargo.toml"), rustRoot.file("Cargo.lock"), rustRoot.file("scripts/build-android"))
        .withPathSensitivity(PathSensitivity.RELATIVE)
}

// The published (release) AAR has no test entry points; the debug variant,
// which connectedCheck tests, adds them (deliberate panic, movable clock).
val cargoNdkRelease = registerCargoNdk("cargoNdkRelease", "")
val cargoNdkDebug = registerCargoNdk("cargoNdkDebug", "test-hooks")

androidComponents {
    onVariants { variant ->
        val task = if (variant.buildType == "release") cargoNdkRelease else cargoNdkDebug
        variant.sources.jniLibs?.addGeneratedSourceDirectory(task, CargoNdk::outputDir)
    }
}
