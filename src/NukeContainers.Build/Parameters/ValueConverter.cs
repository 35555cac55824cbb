using System.Globalization;
using Semver;

namespace NukeContainers.Build.Parameters;

/// Turns the text a user typed into a parameter's type, or says precisely why it cannot.
internal static class ValueConverter
{
    private static readonly char[] ListSeparators = [',', ' ', '\t', '\n'];

    /// Values from the environment are one string; arrays split it on commas and white space.
    public static IReadOnlyList<string> SplitEnvironmentValue(Type type, string value) =>
        ElementType(type) is null ? [value] : value.Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries);

    public static object? Convert(Type type, IReadOnlyList<string> values, string display, string rootDirectory)
    {
        var elementType = ElementType(type);
        if (elementType is not null)
        {
            var array = Array.CreateInstance(elementType, values.Count);
            for (var i = 0; i < values.Count; i++)
                array.SetValue(ConvertOne(elementType, values[i], display, rootDirectory), i);
            return array;
        }

        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (values.Count == 0)
            return underlying == typeof(bool) ? true : throw new ParameterException($"Parameter {display} needs a value, as in {display} <{Describe(type)}>.");
        if (values.Count > 1)
            throw new ParameterException($"Parameter {display} takes one value but got {values.Count}: '{string.Join(' ', values)}'. Quote a value that contains spaces.");
        return ConvertOne(type, values[0], display, rootDirectory);
    }

    public static string Describe(Type type)
    {
        var elementType = ElementType(type);
        if (elementType is not null) return Describe(elementType) + "[]";
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying.IsEnum) return string.Join('|', Enum.GetNames(underlying).Select(NameStyle.Kebab));
        return underlying.Name switch
        {
            nameof(String) => "string",
            nameof(Boolean) => "bool",
            nameof(Int32) or nameof(Int64) => "integer",
            nameof(Double) or nameof(Decimal) => "number",
            nameof(AbsolutePath) => "path",
            nameof(SemVersion) => "semver",
            _ => NameStyle.Kebab(underlying.Name),
        };
    }

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType() : null;

    private static object ConvertOne(Type type, string value, string display, string rootDirectory)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (ParseMethod(underlying) is { } parse)
        {
            // A type of the product's that parses itself (IParsable) says what is wrong in its FormatException.
            try { return parse.Invoke(null, [value.Trim(), CultureInfo.InvariantCulture])!; }
            catch (System.Reflection.TargetInvocationException e) when (e.InnerException is FormatException format)
            {
                throw new ParameterException($"Parameter {display} got {format.Message}");
            }
        }
        var result = TryConvert(underlying, value.Trim(), rootDirectory);
        return result ?? throw new ParameterException(
            $"Parameter {display} got '{value}', which is not a valid {Describe(underlying)}. {Hint(underlying)}");
    }

    private static object? TryConvert(Type type, string value, string rootDirectory)
    {
        var invariant = CultureInfo.InvariantCulture;
        if (type == typeof(string)) return value;
        if (type == typeof(bool))
            return value.ToLowerInvariant() switch
            {
                "true" or "1" or "yes" or "on" => true,
                "false" or "0" or "no" or "off" => false,
                _ => null,
            };
        if (type == typeof(int)) return int.TryParse(value, NumberStyles.Integer, invariant, out var i) ? i : null;
        if (type == typeof(long)) return long.TryParse(value, NumberStyles.Integer, invariant, out var l) ? l : null;
        if (type == typeof(double)) return double.TryParse(value, NumberStyles.Float, invariant, out var d) ? d : null;
        if (type == typeof(decimal)) return decimal.TryParse(value, NumberStyles.Number, invariant, out var m) ? m : null;
        if (type == typeof(AbsolutePath)) return value.Length == 0 ? null : AbsolutePath.Create(Path.Combine(rootDirectory, value));
        if (type == typeof(SemVersion))
            return SemVersion.TryParse(value, SemVersionStyles.AllowV, out var version) ? version : null;
        if (type.IsEnum)
            return Enum.GetNames(type).FirstOrDefault(n => NameStyle.Key(n) == NameStyle.Key(value)) is { } name
                ? Enum.Parse(type, name)
                : null;
        throw new ParameterException($"Parameters of type {type.Name} are not supported; use string, bool, a number, an enum, an array, AbsolutePath, SemVersion or a type that is IParsable.");
    }

    /// IParsable&lt;T&gt;.Parse(string, IFormatProvider) of a type other than the built-in ones above.
    private static System.Reflection.MethodInfo? ParseMethod(Type type) =>
        type.IsPrimitive || type == typeof(string) || type == typeof(decimal) || type == typeof(SemVersion)
        || !type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IParsable<>))
            ? null
            : type.GetMethod("Parse", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static, [typeof(string), typeof(IFormatProvider)]);

    private static string Hint(Type type) => type switch
    {
        _ when type == typeof(bool) => "Use true or false.",
        _ when type == typeof(int) || type == typeof(long) => "Give a whole number, such as 3.",
        _ when type == typeof(double) || type == typeof(decimal) => "Give a number with a dot for decimals, such as 0.5.",
        _ when type == typeof(SemVersion) => "Give a semantic version, such as 1.2.3 or 1.2.3-rc.1.",
        _ when type.IsEnum => $"Use one of: {string.Join(", ", Enum.GetNames(type).Select(NameStyle.Kebab))}.",
        _ => "",
    };
}
