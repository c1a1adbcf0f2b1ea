// Gradle builds only the Android library (AAR) in android/. The Rust
// workspace builds with cargo (the AAR's native libraries through
// scripts/build-android) and the pure-JVM module with Maven.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "hush"
include(":android")
